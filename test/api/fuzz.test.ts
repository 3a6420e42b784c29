/**
 * Property-based fuzzing of every route group: random methods, path ids, query parameters and bodies
 * (strings with NUL and control characters, integers past 2^31, hex, floats, nested JSON, wrong content
 * types). Whatever comes in, the answer is never a 5xx. Issue 9, item 11.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, createTestApi } from '../helpers/api.js';

let api: Awaited<ReturnType<typeof createTestApi>>;
beforeAll(async () => {
  api = await createTestApi();
  // something for the ids to hit
  await api.app.request('/api/v1/trackings', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth() },
    body: JSON.stringify({ version_control: 'git', scm_repo: 'https://example.org/x.git', scm_branch: 'main', repo: 'o/fuzz', branch: 'master', enabled: true }),
  });
});
afterAll(() => api.close());

/** Every route group, with the methods it serves; `{id}` is filled with a fuzzed segment. */
const ROUTES: Array<{ path: string; methods: string[]; query: string[]; body: string[] }> = [
  { path: '/tracking', methods: ['GET', 'POST', 'DELETE'], query: ['repo', 'branch', 'enabled'], body: ['version_control', 'scm_repo', 'scm_branch', 'scm_commit', 'repo', 'branch', 'enabled'] },
  { path: '/issue', methods: ['GET'], query: ['repo', 'branch'], body: [] },
  { path: '/api/v1/trackings', methods: ['GET', 'POST'], query: ['repo', 'branch', 'enabled', 'version_control', 'status', 'limit', 'after'], body: ['version_control', 'scm_repo', 'scm_branch', 'scm_commit', 'repo', 'branch', 'enabled'] },
  { path: '/api/v1/trackings/{id}', methods: ['GET', 'PATCH', 'DELETE'], query: [], body: ['version_control', 'scm_repo', 'scm_branch', 'scm_commit', 'enabled'] },
  { path: '/api/v1/trackings/{id}/scan', methods: ['POST'], query: ['dry_run'], body: [] },
  { path: '/api/v1/issues', methods: ['GET'], query: ['repo', 'branch', 'state', 'tracking_id', 'limit', 'after'], body: [] },
  { path: '/api/v1/issues/{id}', methods: ['GET'], query: [], body: [] },
  { path: '/api/v1/tokens', methods: ['GET', 'POST'], query: [], body: ['name'] },
  { path: '/api/v1/tokens/{id}', methods: ['DELETE'], query: [], body: [] },
  { path: '/api/v1/checks', methods: ['GET', 'POST'], query: ['patch', 'series', 'range', 'tracking', 'kind'], body: ['patch', 'series', 'range', 'state', 'context', 'target_url', 'description'] },
  { path: '/api/v1/checks/combined', methods: ['GET'], query: ['patch', 'series', 'range', 'tracking'], body: [] },
  { path: '/api/v1/ranges/{id}', methods: ['GET'], query: [], body: [] },
  { path: '/api/v1/events', methods: ['GET'], query: ['limit', 'after', 'category', 'project', 'since'], body: [] },
  { path: '/api/v1/testers/claim', methods: ['POST'], query: [], body: ['test', 'kinds', 'projects', 'repos', 'lease_seconds'] },
  { path: '/api/v1/testers/jobs', methods: ['GET'], query: ['state', 'limit'], body: [] },
  { path: '/api/v1/testers/jobs/{id}', methods: ['GET'], query: [], body: [] },
  { path: '/api/v1/testers/jobs/{id}/report', methods: ['POST'], query: [], body: ['result', 'log', 'description'] },
  { path: '/api/1.3/projects/{id}/', methods: ['GET'], query: [], body: [] },
  { path: '/api/1.3/patches/', methods: ['GET'], query: ['project', 'state', 'archived', 'submitter', 'delegate', 'series', 'since', 'before', 'msgid', 'hash', 'q', 'page', 'per_page', 'order'], body: [] },
  { path: '/api/1.3/patches/{id}/', methods: ['GET', 'PATCH', 'PUT'], query: [], body: ['state', 'delegate', 'archived', 'commit_ref', 'pull_url'] },
  { path: '/api/1.3/patches/{id}/checks/', methods: ['GET', 'POST'], query: [], body: ['state', 'context', 'target_url', 'description'] },
  { path: '/api/1.3/series/{id}/', methods: ['GET'], query: [], body: [] },
  { path: '/api/1.3/covers/{id}/', methods: ['GET'], query: [], body: [] },
  { path: '/api/1.3/events/', methods: ['GET'], query: ['project', 'category', 'series', 'patch', 'since', 'before', 'page'], body: [] },
  { path: '/api/1.3/people/', methods: ['GET'], query: ['q', 'page'], body: [] },
];

const nasty = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('\u0000', 'a\u0000b', '%', '_', '\\', '2147483648', '99999999999999999999', '-1', '0', '0x34', '1e3', '1.5', ' 7', 'NaN', 'true', '', '../../', '$(id)', '--upload-pack=x'),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
);

const jsonValue = fc.oneof(
  nasty,
  fc.integer(),
  fc.constantFrom(2147483648, 2 ** 53, -1, 0, 1.5, 1e300, true, false, null),
  fc.array(nasty, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), nasty, { maxKeys: 2 }),
);

const request = fc.record({
  route: fc.constantFrom(...ROUTES),
  methodIndex: fc.nat(),
  id: nasty,
  queryPicks: fc.array(fc.tuple(fc.nat(), nasty), { maxLength: 3 }),
  bodyPicks: fc.array(fc.tuple(fc.nat(), jsonValue), { maxLength: 4 }),
  bodyKind: fc.constantFrom('json', 'json', 'json', 'raw', 'form', 'multipart', 'none'),
  raw: fc.string({ unit: 'binary', maxLength: 20 }),
});

function build(r: typeof request extends fc.Arbitrary<infer T> ? T : never): [string, RequestInit] {
  const method = r.route.methods[r.methodIndex % r.route.methods.length]!;
  const path = r.route.path.replace('{id}', encodeURIComponent(r.id));
  const query = new URLSearchParams();
  if (r.route.query.length) for (const [i, v] of r.queryPicks) query.append(r.route.query[i % r.route.query.length]!, v);
  const url = `${path}${query.size ? `?${query}` : ''}`;
  const headers: Record<string, string> = { authorization: basicAuth() };
  const fields = Object.fromEntries(r.route.body.length ? r.bodyPicks.map(([i, v]) => [r.route.body[i % r.route.body.length]!, v]) : []);
  let body: RequestInit['body'];
  const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  if (method !== 'GET' && method !== 'HEAD') {
    if (r.bodyKind === 'json') {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(fields);
    } else if (r.bodyKind === 'raw') {
      headers['content-type'] = 'application/json';
      body = r.raw;
    } else if (r.bodyKind === 'form') {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, asText(v)])).toString();
    } else if (r.bodyKind === 'multipart') {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, asText(v));
      body = form;
    }
  }
  return [url, { method, headers, body }];
}

describe('fuzzed requests', () => {
  it('never get a 5xx, on any route', async () => {
    let sent = 0;
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const [url, init] = build(r);
        const res = await api.app.request(url, init);
        sent++;
        if (res.status >= 500) failures.push(`${init.method} ${url} ${String(init.body ?? '').slice(0, 200)} -> ${res.status} ${(await res.text()).slice(0, 200)}`);
        return res.status < 500;
      }),
      { numRuns: 10_000, seed: Number(process.env.FUZZ_SEED ?? 20261201), endOnFailure: true },
    );
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(10_000);
  }, 120_000);
});
