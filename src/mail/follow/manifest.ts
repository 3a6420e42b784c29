/**
 * The grokmirror manifest public-inbox serves for each inbox (`<inbox>/manifest.js.gz`): gzip'd JSON keyed by
 * repository path (`/<inbox>/git/N.git` for a v2 epoch, `/<inbox>` for a v1 inbox), each with the
 * fingerprint of its refs (SHA-1 of `git show-ref`). Read as public-inbox-fetch reads it: which epochs exist,
 * and which of them moved since the last look.
 */
import { gunzipSync } from 'node:zlib';
import { AppError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { publicUrl } from '../../sources/git-url.js';
import { getFromUpstream } from '../../sources/upstream-http.js';
import type { UpstreamPolicy } from '../../sources/upstream-policy.js';

export interface ManifestEntry {
  fingerprint: string | null;
  modified: number | null;
}

/** What the manifest says about one inbox: a v1 repository, or v2 epochs by number. */
export type InboxLayout = { format: 'v1'; repo: ManifestEntry } | { format: 'v2'; epochs: Map<number, ManifestEntry> };

/** A manifest of a big inbox is a few kilobytes per epoch; anything near this is not one. */
const MAX_MANIFEST_BYTES = 16 * 2 ** 20;

/** Decodes a manifest; `where` names it in the error. */
export function parseManifest(gz: Buffer, where: string): Map<string, ManifestEntry> {
  let json: unknown;
  try {
    json = JSON.parse(gunzipSync(gz, { maxOutputLength: 8 * MAX_MANIFEST_BYTES }).toString('utf8'));
  } catch (err) {
    throw new AppError('invalid_manifest', `${where} is not a gzip'd JSON manifest: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new AppError('invalid_manifest', `${where} is not a JSON object keyed by repository path`);
  const entries = new Map<string, ManifestEntry>();
  for (const [path, value] of Object.entries(json as Record<string, unknown>)) {
    const v = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
    entries.set(path, {
      fingerprint: typeof v.fingerprint === 'string' ? v.fingerprint : null,
      modified: typeof v.modified === 'number' ? v.modified : null,
    });
  }
  return entries;
}

/**
 * The inbox at URL path `path` in a manifest: its v1 entry, or its `…/git/N.git` epochs. As public-inbox's
 * own mirroring does, leading path parts are dropped one by one until something matches (a server behind a
 * reverse proxy that adds a prefix lists paths without it). Null when the manifest does not list it.
 */
export function inboxLayout(manifest: Map<string, ManifestEntry>, path: string): InboxLayout | null {
  let p = path.replace(/\/+$/, '');
  for (;;) {
    const v1 = manifest.get(p);
    const epochs = new Map<number, ManifestEntry>();
    const prefix = `${p}/git/`;
    for (const [key, entry] of manifest) {
      if (!key.startsWith(prefix)) continue;
      const m = /^(\d{1,6})\.git$/.exec(key.slice(prefix.length));
      if (m) epochs.set(Number(m[1]), entry);
    }
    if (epochs.size) return { format: 'v2', epochs };
    if (v1) return { format: 'v1', repo: v1 };
    const shorter = p.replace(/^\/[^/]+(?=\/)/, '');
    if (shorter === p) return null;
    p = shorter;
  }
}

/**
 * The layout the manifest of the inbox at `url` gives, or null when there is none to read (not http(s), no
 * manifest served, or one that does not list this inbox): the caller then probes with git. A URL the policy
 * refuses throws, as git would.
 */
export async function fetchInboxLayout(policy: UpstreamPolicy, url: string, logger: Logger | undefined): Promise<InboxLayout | null> {
  if (!/^https?:\/\//i.test(url)) return null;
  const manifestUrl = `${url.replace(/\/+$/, '')}/manifest.js.gz`;
  let got;
  try {
    got = await getFromUpstream(policy, manifestUrl, { field: 'url', logger, maxBytes: MAX_MANIFEST_BYTES });
  } catch (err) {
    if (err instanceof AppError && err.code === 'upstream_error') return null;
    throw err;
  }
  if (got.status !== 200) return null;
  try {
    return inboxLayout(parseManifest(got.body, publicUrl(manifestUrl)), new URL(manifestUrl).pathname.replace(/\/manifest\.js\.gz$/, ''));
  } catch (err) {
    logger?.warn({ manifest: publicUrl(manifestUrl), err: err instanceof Error ? err.message : String(err) }, 'ignoring an unreadable public-inbox manifest');
    return null;
  }
}
