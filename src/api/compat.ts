/**
 * The REST API of openEuler's patch-tracking, kept answer for answer: `{code, msg, data}` envelopes with the
 * old codes and HTTP 200, so existing clients and scripts keep working. Where the old program crashed or
 * misbehaved (a string for `enabled` gave a 500, a form body a 415, an upsert without scm_commit reset the
 * progress) we answer 4001 instead and keep the envelope; a `detail` key says what was wrong.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { ChangeWatch } from '../db/changes.js';
import type { Database } from '../db/client.js';
import type { IssueRow } from '../db/schema/index.js';
import { publicUrl } from '../sources/git-url.js';
import { assertUpstreamAllowed, type UpstreamPolicy } from '../sources/upstream-policy.js';
import { deleteTrackings, listIssues, listTrackings, trackingsVersion, upsertTracking, type TrackingInput } from '../db/trackings.js';
import { guard, type Guard } from './auth-guard.js';
import type { ApiEnv } from './context.js';
import { firstIssue, toTrackingInput, trackingInputSchema } from '../input.js';
import { trackingCore } from './v1/representations.js';

export const COMPAT_CODES = {
  SUCCESS: '2001',
  INPUT_PARAMETERS_ERROR: '4001',
  TRACKING_NOT_FOUND: '4002',
  ISSUE_NOT_FOUND: '4003',
  DELETE_DB_ERROR: '6001',
  INSERT_DATA_ERROR: '6004',
  DELETE_DB_NOT_RESULT: '6005',
} as const;

const MESSAGES: Record<string, string> = {
  '2001': 'Successful Operation!',
  '4001': 'Please enter the correct parameters',
  '4002': 'The tracking you are looking for does not exist',
  '4003': 'The issue you are looking for does not exist',
  '6001': 'Failed to delete database',
  '6004': 'Failed to insert data',
  '6005': 'The tracking you want to delete does not exist',
};

export function envelope(c: Context, code: string, data: unknown = null, detail?: string) {
  const body: Record<string, unknown> = { code, msg: MESSAGES[code], data };
  if (detail) body.detail = detail;
  return c.json(body, 200);
}

const badParameters = (c: Context, detail: string) => envelope(c, COMPAT_CODES.INPUT_PARAMETERS_ERROR, null, detail);

function compatIssue(row: IssueRow) {
  return { issue: row.issue, repo: row.repo, branch: row.branch, state: row.state, issue_url: row.issueUrl, pr_url: row.prUrl };
}

/** Query parameters: only the listed keys, each at most once. Returns an error sentence or the values. */
function readQuery(c: Context, allowed: readonly string[]): Record<string, string> | string {
  const url = new URL(c.req.url);
  const out: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (!allowed.includes(key)) return `unknown query parameter: ${key} (allowed: ${allowed.join(', ')})`;
    if (key in out) return `query parameter given twice: ${key}`;
    if (value === '') return `query parameter is empty: ${key}`;
    out[key] = value;
  }
  return out;
}

function parseBool(value: string): boolean | undefined {
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

const gzipAsync = promisify(gzip);
const ENCODER = new TextEncoder();

/** One serialised listing: its strong ETag, the JSON text, and (made on first demand) its gzip form. */
interface Listing {
  tag: string;
  json: Uint8Array<ArrayBuffer>;
  gzipped?: Promise<Uint8Array<ArrayBuffer>>;
}

/**
 * Serialised listings by (table version, filter). The version comes from the database (trackingsVersion), so
 * an entry is exact for as long as it is asked for, whichever replica or command wrote last; concurrent
 * requests for a version not yet built wait for one build instead of each mapping every row.
 */
class ListingCache {
  private readonly entries = new Map<string, Promise<Listing>>();

  get(key: string, build: () => Promise<string>): Promise<Listing> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = build().then((json) => ({ tag: createHash('sha256').update(key).digest('base64url').slice(0, 27), json: new TextEncoder().encode(json) }));
      entry.catch(() => this.entries.delete(key));
      // a handful of filters at the current version; older versions are never asked for again
      if (this.entries.size >= 8) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, entry);
    }
    return entry;
  }
}

/** Does Accept-Encoding allow gzip (`gzip` or `*` without q=0)? */
function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** 304 when If-None-Match names this listing (in either encoding), else the body, gzipped if the client asks. */
async function sendListing(c: Context, listing: Listing): Promise<Response> {
  const gzipped = acceptsGzip(c.req.header('accept-encoding'));
  // one strong tag per representation: the gzip bytes differ from the JSON bytes
  const etag = gzipped ? `"${listing.tag}-gzip"` : `"${listing.tag}"`;
  const headers: Record<string, string> = { ETag: etag, Vary: 'Accept-Encoding', 'Cache-Control': 'no-cache' };
  const ifNoneMatch = c.req.header('if-none-match');
  if (ifNoneMatch && ifNoneMatch.split(',').some((t) => { const v = t.trim().replace(/^W\//, ''); return v === '*' || v === `"${listing.tag}"` || v === `"${listing.tag}-gzip"`; })) {
    return c.body(null, 304, headers);
  }
  headers['Content-Type'] = 'application/json';
  if (!gzipped) return c.body(listing.json, 200, headers);
  listing.gzipped ??= gzipAsync(listing.json, { level: 6 }).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.length) as Uint8Array<ArrayBuffer>);
  headers['Content-Encoding'] = 'gzip';
  return c.body(await listing.gzipped, 200, headers);
}

/**
 * The one-row answers (the old CLI's lookup by repo and branch), serialised, for as long as the tracking table
 * is unchanged (db/changes.ts: a notification from any writer, or a local write, moves the generation on).
 * An answer read from the database is kept only if no change came while it was read; without a listening
 * connection nothing is kept or served.
 */
class OneRowAnswers {
  private readonly entries = new Map<string, Uint8Array<ArrayBuffer>>();
  private generation = -1;

  constructor(
    private readonly watch: ChangeWatch | undefined,
    private readonly max = 16_384,
  ) {}

  /** the generation to fill at, or undefined when answers cannot be kept now */
  current(): number | undefined {
    const watch = this.watch;
    if (!watch?.live) return undefined;
    if (watch.generation !== this.generation) {
      this.entries.clear();
      this.generation = watch.generation;
    }
    return this.generation;
  }

  get(key: string): Uint8Array<ArrayBuffer> | undefined {
    return this.current() === undefined ? undefined : this.entries.get(key);
  }

  put(key: string, generation: number, body: Uint8Array<ArrayBuffer>): void {
    if (this.current() !== generation) return;
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, body);
  }
}

/** An abbreviated scm_commit made full when the upstream answers (tracker/commit-id.ts); absent: kept as given. */
export type ResolveCommit = (input: TrackingInput) => Promise<TrackingInput>;

export function compatRoutes(
  db: Database,
  requireWrite: Guard,
  requireRead: Guard,
  upstreamPolicy: UpstreamPolicy,
  resolveCommit: ResolveCommit = async (input) => input,
  trackingChanges?: ChangeWatch,
) {
  const app = new Hono<ApiEnv>();
  const listings = new ListingCache();
  const oneRow = new OneRowAnswers(trackingChanges);

  app.get('/tracking', guard(requireRead), async (c) => {
    const query = readQuery(c, ['repo', 'branch', 'enabled']);
    if (typeof query === 'string') return badParameters(c, query);
    let enabled: boolean | undefined;
    if (query.enabled !== undefined) {
      enabled = parseBool(query.enabled);
      if (enabled === undefined) return badParameters(c, 'enabled: expected true or false');
    }
    const filter = { repo: query.repo, branch: query.branch, enabled };
    // one row (the CLI's lookup before an upsert): served from memory while the table is unchanged
    if (filter.repo !== undefined && filter.branch !== undefined) {
      const key = `${filter.repo}\u0000${filter.branch}\u0000${filter.enabled}`;
      let body = oneRow.get(key);
      if (!body) {
        const generation = oneRow.current();
        const rows = await listTrackings(db, filter);
        body = ENCODER.encode(JSON.stringify({ code: COMPAT_CODES.SUCCESS, msg: MESSAGES[COMPAT_CODES.SUCCESS], data: rows.map(trackingCore) })) as Uint8Array<ArrayBuffer>;
        if (generation !== undefined) oneRow.put(key, generation, body);
      }
      return c.body(body, 200, { 'Content-Type': 'application/json' });
    }
    // the version is read before the rows: a write in between pairs newer rows with an older tag, which
    // only costs the client one more full answer, never a stale 304
    const version = await trackingsVersion(db);
    const listing = await listings.get(`${version}\u0000${JSON.stringify(filter)}`, async () => {
      const rows = await listTrackings(db, filter);
      return JSON.stringify({ code: COMPAT_CODES.SUCCESS, msg: MESSAGES[COMPAT_CODES.SUCCESS], data: rows.map(trackingCore) });
    });
    return sendListing(c, listing);
  });

  app.post('/tracking', guard(requireWrite), async (c) => {
    const contentType = c.req.header('content-type') ?? '';
    if (!/^application\/(.+\+)?json\b/i.test(contentType)) return badParameters(c, 'the body must be JSON (Content-Type: application/json)');
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return badParameters(c, 'the body is not valid JSON');
    }
    const parsed = trackingInputSchema.safeParse(body);
    if (!parsed.success) return badParameters(c, firstIssue(parsed.error).message);
    const input = parsed.data;
    const value = toTrackingInput(input);
    await assertUpstreamAllowed(upstreamPolicy, value);
    await upsertTracking(db, await resolveCommit(value));
    // the old program echoed the request body, keys sorted (Flask's jsonify)
    const echo = Object.fromEntries(Object.entries({ ...input, scm_repo: publicUrl(input.scm_repo) }).sort(([a], [b]) => a.localeCompare(b)));
    return envelope(c, COMPAT_CODES.SUCCESS, echo);
  });

  app.delete('/tracking', guard(requireWrite), async (c) => {
    const query = readQuery(c, ['repo', 'branch']);
    if (typeof query === 'string') return badParameters(c, query);
    if (!query.repo) return badParameters(c, 'repo is required');
    const deleted = await deleteTrackings(db, query.repo, query.branch);
    if (deleted === 0) return envelope(c, COMPAT_CODES.DELETE_DB_NOT_RESULT);
    return envelope(c, COMPAT_CODES.SUCCESS);
  });

  app.get('/issue', guard(requireRead), async (c) => {
    const query = readQuery(c, ['repo', 'branch']);
    if (typeof query === 'string') return badParameters(c, query);
    const rows = await listIssues(db, { repo: query.repo, branch: query.branch });
    return envelope(c, COMPAT_CODES.SUCCESS, rows.map(compatIssue));
  });

  return app;
}
