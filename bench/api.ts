/**
 * npm run bench:api — requests/s and p50/p99 latency of the REST API with 10,000 trackings at concurrency 10,
 * on the embedded database and on PostgreSQL (when one answers). The cases run interleaved, round after
 * round, so a neighbour's load spreads over all of them; the table gives every round and the medians, and
 * p99 of the worst round. Then the whole-table listing right after a write (nothing cached) at 10,000 and
 * at 100,000 rows: its cost per 1,000 rows says whether it grows linearly.
 * The service runs in a child process; this process only generates load (and seeds rows by SQL).
 *
 * Options (flag or environment): --trackings N (BENCH_TRACKINGS, 10000), --rounds N (BENCH_ROUNDS, 3),
 * --seconds S per case and round (BENCH_SECONDS, 3), --concurrency N (BENCH_CONCURRENCY, 10),
 * --scale N rows for the linearity check (BENCH_SCALE, 100000; 0 skips it), --cases TEXT (BENCH_CASES,
 * only cases whose name contains it), --pg URL (BENCH_PG_URL, TEST_DATABASE_URL, DATABASE_URL),
 * --engines embedded,postgresql, --json PATH. BENCH_ROOT=/other/checkout measures another version's service.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/db/client.js';
import { BENCH_PASSWORD, closedLoop, median, option, pgAvailable, pgServerUrl, printTable, startChildService, writeJson, type LoadResult, withThrowawayDatabase } from './lib.js';

const TRACKINGS = Number(option('trackings', 'BENCH_TRACKINGS', '10000'));
const ROUNDS = Number(option('rounds', 'BENCH_ROUNDS', '3'));
const SECONDS = Number(option('seconds', 'BENCH_SECONDS', '3'));
const CONCURRENCY = Number(option('concurrency', 'BENCH_CONCURRENCY', '10'));
const SCALE = Number(option('scale', 'BENCH_SCALE', '100000'));
const ONLY = option('cases', 'BENCH_CASES', '');
const ENGINES = option('engines', 'BENCH_ENGINES', 'embedded,postgresql').split(',');
const PG_URL = pgServerUrl();
const AUTH = `Basic ${Buffer.from(`admin:${BENCH_PASSWORD}`).toString('base64')}`;

const item = (i: number, enabled = true) => ({
  version_control: 'github',
  scm_repo: `upstream-${i % 500}/project-${i}`,
  scm_branch: 'master',
  repo: `https://gitee.com/src-openeuler/pkg-${i}`,
  branch: i % 2 ? 'master' : 'openEuler-22.03-LTS',
  enabled,
});

// node:http with a keep-alive agent: a lighter client than fetch, so the load generator (which shares the
// two cores with the service) takes less of the CPU it is measuring
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('latin1') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
const get = async (url: string, headers?: Record<string, string>, expected = 200) => (await request(url, { headers })).status === expected;

async function post(url: string, body: unknown): Promise<boolean> {
  const res = await request(`${url}/tracking`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: AUTH }, body: JSON.stringify(body) });
  return res.status === 200 && res.body.includes('"code":"2001"');
}

/** Rows from..to-1 in one statement, as `item(i)` would create them (the upsert case measures the API's writes). */
async function seed(target: { dataDir: string } | { databaseUrl: string }, from: number, to: number): Promise<number> {
  const started = performance.now();
  const handle = await openDatabase({ ...target, maxConnections: 3 });
  try {
    await handle.client.unsafe(`
      insert into tracking (version_control, scm_repo, scm_branch, repo, branch, enabled, status, next_attempt_at)
      select 'github', 'upstream-' || (i % 500) || '/project-' || i, 'master', 'https://gitee.com/src-openeuler/pkg-' || i,
        case when i % 2 = 1 then 'master' else 'openEuler-22.03-LTS' end, true, 'idle',
        -- not due: the service's first scan cycle (it has no GitHub token here) would otherwise write every
        -- row as failed while the cases run
        now() + interval '1 day'
      from generate_series(${from}, ${to - 1}) as i`);
    await handle.client.unsafe('analyze tracking');
  } finally {
    await handle.close();
  }
  return (performance.now() - started) / 1000;
}

interface CaseResult {
  engine: string;
  case: string;
  rounds: LoadResult[];
}

interface ListingCost {
  engine: string;
  rows: number;
  /** a write, then the whole table (nothing cached): median ms */
  afterWriteMs: number;
  /** the same listing again, gzipped, from the cache */
  cachedGzipMs: number;
  bytes: number;
  gzipBytes: number;
}

async function listingCost(engine: string, url: string, rows: number): Promise<ListingCost> {
  const after: number[] = [];
  const cached: number[] = [];
  let bytes = 0;
  let gzipBytes = 0;
  for (let i = 0; i < 5; i++) {
    if (!(await post(url, { ...item(i), scm_commit: randomBytes(20).toString('hex') }))) throw new Error('the write before the listing failed');
    let t0 = performance.now();
    const plain = await request(`${url}/tracking`);
    after.push(performance.now() - t0);
    bytes = plain.body.length;
    t0 = performance.now();
    const zipped = await request(`${url}/tracking`, { headers: { 'accept-encoding': 'gzip' } });
    cached.push(performance.now() - t0);
    gzipBytes = zipped.body.length;
  }
  return { engine, rows, afterWriteMs: median(after), cachedGzipMs: median(cached), bytes, gzipBytes };
}

async function run(engine: string, env: Record<string, string>, databaseUrl?: string) {
  const service = await startChildService(env);
  const target = databaseUrl ? { databaseUrl } : { dataDir: service.dataDir };
  try {
    const seedSeconds = await seed(target, 0, TRACKINGS);
    const all = `${service.url}/tracking`;
    const currentTag = () => new Promise<string>((resolve, reject) => http.get(all, { agent }, (res) => { res.resume(); resolve(String(res.headers.etag ?? '"none"')); }).on('error', reject));
    // the upsert case changes the table: the tag is read again before each round
    let etag = await currentTag();
    const cases: [string, (i: number) => Promise<boolean>][] = [
      // the HTTP stack alone, no database: what the other cases cost beyond it is the query
      ['GET /healthz (no database)', () => get(`${service.url}/healthz`)],
      ['GET /tracking (all rows)', () => get(all)],
      ['GET /tracking (all rows, gzip)', () => get(all, { 'accept-encoding': 'gzip, deflate' })],
      // the old CLI's repeated query when nothing changed
      ['GET /tracking (all rows, If-None-Match: 304)', () => get(all, { 'if-none-match': etag }, 304)],
      [
        'GET /tracking?repo=&branch= (one row)',
        (i) => {
          const it = item((i * 7919) % TRACKINGS);
          return get(`${all}?repo=${encodeURIComponent(it.repo)}&branch=${encodeURIComponent(it.branch)}`);
        },
      ],
      ['POST /tracking (authenticated upsert)', (i) => post(service.url, { ...item((i * 104729) % TRACKINGS, i % 2 === 0), scm_commit: randomBytes(20).toString('hex') })],
    ];
    const selected = cases.filter(([name]) => !ONLY || name.includes(ONLY));
    const results: CaseResult[] = selected.map(([name]) => ({ engine, case: name, rounds: [] }));
    for (let round = 0; round < ROUNDS; round++) {
      etag = await currentTag();
      for (const [k, [, fn]] of selected.entries()) results[k]!.rounds.push(await closedLoop(CONCURRENCY, SECONDS, fn));
    }
    const costs: ListingCost[] = [];
    if (SCALE > 0 && (!ONLY || 'GET /tracking (all rows)'.includes(ONLY))) {
      costs.push(await listingCost(engine, service.url, TRACKINGS));
      if (SCALE > TRACKINGS) {
        await seed(target, TRACKINGS, SCALE);
        costs.push(await listingCost(engine, service.url, SCALE));
      }
    }
    return { results, costs, seedSeconds };
  } finally {
    await service.stop();
  }
}

async function main() {
  const results: CaseResult[] = [];
  const costs: ListingCost[] = [];
  const seeds: Record<string, number> = {};
  if (ENGINES.includes('embedded')) {
    const embedded = await run('embedded', {});
    results.push(...embedded.results);
    costs.push(...embedded.costs);
    seeds.embedded = embedded.seedSeconds;
  }
  if (ENGINES.includes('postgresql') && (await pgAvailable(PG_URL))) {
    await withThrowawayDatabase(PG_URL, async (url) => {
      const pg = await run('postgresql', { DATABASE_URL: url }, url);
      results.push(...pg.results);
      costs.push(...pg.costs);
      seeds.postgresql = pg.seedSeconds;
    });
  } else if (ENGINES.includes('postgresql')) {
    console.log(`(no PostgreSQL at ${new URL(PG_URL).host}: embedded database only)`);
  }
  console.log(`\n${TRACKINGS} trackings, concurrency ${CONCURRENCY}, ${ROUNDS} rounds of ${SECONDS} s per case (interleaved)\n`);
  printTable(
    ['engine', 'case', 'req/s by round', 'req/s median', 'p50 ms median', 'p99 ms median', 'p99 ms worst', 'errors'],
    results.map((r) => [
      r.engine,
      r.case,
      r.rounds.map((x) => x.perSecond.toFixed(0)).join(' / '),
      median(r.rounds.map((x) => x.perSecond)),
      median(r.rounds.map((x) => x.p50)),
      median(r.rounds.map((x) => x.p99)),
      Math.max(...r.rounds.map((x) => x.p99)),
      r.rounds.reduce((n, x) => n + x.errors, 0),
    ]),
  );
  if (costs.length) {
    console.log('\nwhole table right after a write (nothing cached), one client, median of 5\n');
    printTable(
      ['engine', 'rows', 'after a write ms', 'ms per 1,000 rows', 'cached, gzip ms', 'JSON MB', 'gzip MB'],
      costs.map((c) => [c.engine, c.rows, c.afterWriteMs, (c.afterWriteMs / c.rows) * 1000, c.cachedGzipMs, c.bytes / 1e6, c.gzipBytes / 1e6]),
    );
  }
  console.log(`\nseeding ${TRACKINGS} rows: ${Object.entries(seeds).map(([e, s]) => `${e} ${s.toFixed(1)} s`).join(', ')}`);
  writeJson('api', { trackings: TRACKINGS, concurrency: CONCURRENCY, rounds: ROUNDS, seconds: SECONDS, results, listingCost: costs, seeds });
}

await main();
