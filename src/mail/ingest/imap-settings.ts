/**
 * IMAP importer settings: command-line flags, else environment variables, else the settings file, else
 * defaults. Keys (environment / settings.conf):
 *   IMAP_HOST, IMAP_PORT (993 for tls, else 143), IMAP_SECURITY (tls | starttls | none, default tls),
 *   IMAP_USER, IMAP_PASSWORD or IMAP_PASSWORD_FILE, IMAP_FOLDERS (comma-separated, default INBOX),
 *   IMAP_AFTER (seen | delete | keyword:NAME, default seen), IMAP_FINGERPRINT (SHA-256 of the server
 *   certificate), IMAP_CA (PEM file), IMAP_LIST_ID, IMAP_BATCH_SIZE (default 200),
 *   IMAP_BACKOFF_MAX (seconds, default 300), IMAP_POLL_INTERVAL (seconds, default 300).
 */
import { readFileSync } from 'node:fs';
import { AppError } from '../../errors.js';
import { parseSettingsFile } from '../../settings-file.js';
import { normalizeFingerprint, type AfterImport, type ImapImportOptions } from './imap.js';

export const IMAP_KEYS = [
  'IMAP_HOST',
  'IMAP_PORT',
  'IMAP_SECURITY',
  'IMAP_USER',
  'IMAP_PASSWORD',
  'IMAP_PASSWORD_FILE',
  'IMAP_FOLDERS',
  'IMAP_AFTER',
  'IMAP_FINGERPRINT',
  'IMAP_CA',
  'IMAP_LIST_ID',
  'IMAP_BATCH_SIZE',
  'IMAP_BACKOFF_MAX',
  'IMAP_POLL_INTERVAL',
] as const;

export type ImapKey = (typeof IMAP_KEYS)[number];

function invalid(key: ImapKey, origin: string, message: string): AppError {
  return new AppError('settings_invalid', `${key} (${origin}): ${message}`, { field: key });
}

function readSecretFile(path: string, key: ImapKey, origin: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw invalid(key, origin, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
}

function parseAfter(value: string, origin: string): AfterImport {
  const v = value.trim();
  if (v === 'seen') return { kind: 'seen' };
  if (v === 'delete') return { kind: 'delete' };
  const m = /^keyword:([A-Za-z0-9_$.-]+)$/.exec(v);
  if (m) return { kind: 'keyword', keyword: m[1]! };
  throw invalid('IMAP_AFTER', origin, `expected seen, delete or keyword:NAME (letters, digits, _ $ . -), got "${v}"`);
}

function parseInt10(key: ImapKey, origin: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim())) throw invalid(key, origin, `expected a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw invalid(key, origin, `must be between ${min} and ${max}`);
  return n;
}

/** The importer's options; `flags` are already-parsed command-line values keyed like the settings. */
export function imapOptionsFrom(
  flags: Partial<Record<ImapKey, string>>,
  env: NodeJS.ProcessEnv = process.env,
  configFile: string | null = null,
): Omit<ImapImportOptions, 'logger'> {
  const file = configFile ? parseSettingsFile(readFileSync(configFile, 'utf8'), configFile) : new Map();
  const get = (key: ImapKey): { value: string; origin: string } | undefined => {
    if (flags[key] !== undefined) return { value: flags[key]!, origin: 'command line' };
    if (env[key] !== undefined && env[key] !== '') return { value: env[key]!, origin: 'environment' };
    const f = file.get(key);
    return f && f.values.at(-1) !== '' ? { value: f.values.at(-1)!, origin: f.origin } : undefined;
  };

  const host = get('IMAP_HOST');
  if (!host) throw new AppError('settings_invalid', 'IMAP_HOST is not set (--host, the environment or the settings file)', { field: 'IMAP_HOST' });
  const user = get('IMAP_USER');
  if (!user) throw new AppError('settings_invalid', 'IMAP_USER is not set', { field: 'IMAP_USER' });
  let password = get('IMAP_PASSWORD')?.value;
  const passwordFile = get('IMAP_PASSWORD_FILE');
  if (passwordFile) password = readSecretFile(passwordFile.value, 'IMAP_PASSWORD_FILE', passwordFile.origin);
  if (password === undefined) throw new AppError('settings_invalid', 'IMAP_PASSWORD or IMAP_PASSWORD_FILE is not set', { field: 'IMAP_PASSWORD' });

  const sec = get('IMAP_SECURITY');
  const security = (sec?.value ?? 'tls').trim();
  if (security !== 'tls' && security !== 'starttls' && security !== 'none') {
    throw invalid('IMAP_SECURITY', sec!.origin, `expected tls, starttls or none, got "${security}"`);
  }
  const port = get('IMAP_PORT');
  const fp = get('IMAP_FINGERPRINT');
  let fingerprint: string | null = null;
  if (fp) {
    try {
      fingerprint = normalizeFingerprint(fp.value);
    } catch (err) {
      throw invalid('IMAP_FINGERPRINT', fp.origin, (err as Error).message);
    }
  }
  const ca = get('IMAP_CA');
  const folders = (get('IMAP_FOLDERS')?.value ?? 'INBOX')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  if (!folders.length) throw invalid('IMAP_FOLDERS', get('IMAP_FOLDERS')!.origin, 'name at least one folder');
  const after = get('IMAP_AFTER');
  const batch = get('IMAP_BATCH_SIZE');
  const backoff = get('IMAP_BACKOFF_MAX');
  const poll = get('IMAP_POLL_INTERVAL');
  return {
    host: host.value.trim(),
    port: port ? parseInt10('IMAP_PORT', port.origin, port.value, 1, 65535) : security === 'tls' ? 993 : 143,
    security,
    user: user.value,
    password,
    folders,
    after: after ? parseAfter(after.value, after.origin) : { kind: 'seen' },
    fingerprint,
    ca: ca ? readSecretFile(ca.value, 'IMAP_CA', ca.origin) : null,
    listId: get('IMAP_LIST_ID')?.value ?? null,
    batchSize: batch ? parseInt10('IMAP_BATCH_SIZE', batch.origin, batch.value, 1, 5000) : 200,
    backoff: { initialMs: 1000, maxMs: (backoff ? parseInt10('IMAP_BACKOFF_MAX', backoff.origin, backoff.value, 1, 86400) : 300) * 1000 },
    pollIntervalMs: (poll ? parseInt10('IMAP_POLL_INTERVAL', poll.origin, poll.value, 5, 86400) : 300) * 1000,
  };
}
