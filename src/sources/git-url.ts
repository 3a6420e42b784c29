import { createHash } from 'node:crypto';
import { AppError } from '../errors.js';
import { redactSecrets } from '../log.js';

/** The URL without its credentials: what we show, log and name mirrors after. */
export function publicUrl(url: string): string {
  return redactSecrets(url).replace('://***@', '://');
}

/**
 * Accepts the URL forms git itself understands for the transports we allow (https, http, ssh, git, file,
 * scp-like `user@host:path`, local paths). Rejects anything git could read as an option, and URLs with
 * whitespace or control characters, so a tracking row can never smuggle arguments into a git command.
 */
export function assertGitUrl(url: string, field = 'scm_repo'): void {
  const fail = (why: string) => {
    throw new AppError('invalid_git_url', `${field} ${JSON.stringify(publicUrl(url))} is not a usable git URL: ${why}`, {
      field,
    });
  };
  if (url.length === 0) fail('it is empty');
  if (url.startsWith('-')) fail('it starts with "-"');
  if (/[\s\x00-\x1f\x7f]/.test(url)) fail('it contains whitespace or control characters');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined && !['https', 'http', 'ssh', 'git', 'file'].includes(scheme)) {
    fail(`the "${scheme}" transport is not allowed (use https, ssh, git or file)`);
  }
  if (scheme === undefined && /^[a-z][a-z0-9+.-]*::/i.test(url)) fail('remote helper URLs (transport::address) are not allowed');
}

/**
 * Moves `user:token@` out of an http(s) URL into an Authorization header, so the token reaches git
 * through its environment (GIT_CONFIG_*) and never through its command line, visible to `ps`.
 */
export function splitHttpCredentials(url: string): { url: string; authorization?: string } {
  const m = /^(https?:\/\/)([^/@\s]+)@(.*)$/i.exec(url);
  if (!m) return { url };
  const [user = '', password = ''] = m[2]!.split(/:(.*)/s).map((p) => safeDecode(p));
  return { url: `${m[1]}${m[3]}`, authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The transports git may use; passed as GIT_ALLOW_PROTOCOL so `ext::` and friends can never run. */
export const ALLOWED_GIT_PROTOCOLS = 'https:http:ssh:git:file';

/** A file-system-safe, stable directory name for the mirror of `url` (credentials never part of it). */
export function mirrorDirName(url: string): string {
  const bare = publicUrl(url).replace(/\/+$/, '');
  const readable = bare
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(-80);
  const hash = createHash('sha256').update(bare).digest('hex').slice(0, 12);
  return `${readable || 'repo'}-${hash}.git`;
}

/** Web link to a commit on the well-known public forges; undefined for anything else. */
export function commitWebUrl(url: string, sha: string): string | undefined {
  const path = publicUrl(url).replace(/\/+$/, '').replace(/\.git$/, '');
  const m = /^https?:\/\/(github\.com|gitee\.com|gitlab\.com)\/([^/\s]+(?:\/[^/\s]+)+)$/i.exec(path);
  if (!m) return undefined;
  const host = m[1]!.toLowerCase();
  return host === 'gitlab.com' ? `https://${host}/${m[2]}/-/commit/${sha}` : `https://${host}/${m[2]}/commit/${sha}`;
}
