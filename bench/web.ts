/**
 * npm run bench:web — p50/p99 latency of the dashboard's pages at concurrency 10 over a large database:
 * 100,000 trackings and 1,000,000 mail patches (in series of 5) by default, loaded with set-based SQL
 * (generate_series) next to the running service. Cases: the overview, the tracking list filtered by status,
 * a mailing list's patch list filtered by state (the same page for every request, and a different page of
 * it for each), and series pages. On the embedded database, and on
 * PostgreSQL when BENCH_PG_URL (or DATABASE_URL / TEST_DATABASE_URL) answers.
 * Options: BENCH_TRACKINGS (100000), BENCH_PATCHES (1000000), BENCH_SECONDS (10), BENCH_CONCURRENCY (10),
 * BENCH_ENGINES (embedded,postgresql), BENCH_CASES (only the pages whose name contains it),
 * BENCH_JSON (a file to write the results to; bench/out/web.json by default).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/db/client.js';
import { createProject } from '../src/mail/store/projects.js';
import { closedLoop, pgAvailable, printTable, startChildService, type LoadResult, withThrowawayDatabase } from './lib.js';

const TRACKINGS = Number(process.env.BENCH_TRACKINGS ?? 100_000);
const PATCHES = Number(process.env.BENCH_PATCHES ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const PG_URL = process.env.BENCH_PG_URL ?? process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const JSON_FILE = process.env.BENCH_JSON ?? 'bench/out/web.json';
const ENGINES = (process.env.BENCH_ENGINES ?? 'embedded,postgresql').split(',');
const SERIES_SIZE = 5;
const PEOPLE = 1000;

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function get(url: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve(res.statusCode === 200));
      })
      .on('error', reject);
  });
}

/** Rows in bulk, one statement per table; returns the seconds it took. */
export async function load(connect: { databaseUrl?: string; dataDir?: string }): Promise<number> {
  const started = performance.now();
  const handle = await openDatabase({ ...connect, maxConnections: 2 });
  try {
    const sql = handle.client;
    await sql`insert into tracking (version_control, scm_repo, scm_branch, repo, branch, enabled, status, last_error)
      select 'github', 'https://github.com/upstream-' || (i % 500) || '/project-' || i, 'master', 'src-openeuler/pkg-' || i,
        case when i % 2 = 0 then 'master' else 'openEuler-24.03-LTS' end, i % 10 <> 0,
        (array['ok', 'ok', 'ok', 'idle', 'error', 'blocked', 'paused'])[1 + i % 7],
        case when i % 7 in (4, 5) then 'bench failure ' || i end
      from generate_series(1, ${TRACKINGS}::int) i`;
    const project = await createProject(handle.db, { linkName: 'bench', name: 'Bench', listId: 'bench.example.org' });
    await sql`insert into person (email, name) select 'dev' || i || '@example.org', 'Developer ' || i from generate_series(1, ${PEOPLE}::int) i`;
    const [first] = await sql<{ id: number }[]>`select min(id)::int as id from person where email like 'dev%@example.org'`;
    const people = first!.id;
    const seriesCount = Math.ceil(PATCHES / SERIES_SIZE);
    await sql`insert into series (project_id, name, date, submitter_id, total, received_total, received_all)
      select ${project.id}, '[PATCH 0/5] bench series ' || s, now() - (s || ' minutes')::interval, ${people} + s % ${PEOPLE}, ${SERIES_SIZE}, ${SERIES_SIZE}, true
      from generate_series(1, ${seriesCount}::int) s`;
    const [firstSeries] = await sql<{ id: number }[]>`select min(id)::int as id from series where project_id = ${project.id}`;
    // each patch's raw mail is a placeholder: the pages never read it
    await sql`insert into mail_message (project_id, msgid, kind, raw) select ${project.id}, '<bench-' || i || '@example.org>', 'patch', '\\x00'::bytea from generate_series(1, ${PATCHES}::int) i`;
    await sql`insert into patch (project_id, message_id, msgid, name, date, submitter_id, state, archived, diff, content, series_id, number)
      select m.project_id, m.id, m.msgid, '[PATCH ' || (i % ${SERIES_SIZE} + 1) || '/5] bench change ' || i, now() - (i || ' seconds')::interval,
        ${people} + (i / ${SERIES_SIZE}) % ${PEOPLE}, (array['new', 'new', 'under-review', 'accepted', 'rejected', 'superseded'])[1 + i % 6], i % 11 = 0,
        'diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n', 'bench change ' || i, ${firstSeries!.id} + i / ${SERIES_SIZE}, i % ${SERIES_SIZE} + 1
      from (select row_number() over (order by id) - 1 as i, id, project_id, msgid from mail_message where project_id = ${project.id}) m(i, id, project_id, msgid)`;
    // what autovacuum does to a live database: statistics, and the visibility map index-only counts need
    await sql`vacuum analyze`;
    return (performance.now() - started) / 1000;
  } finally {
    await handle.close();
  }
}

interface Row {
  engine: string;
  case: string;
  result: LoadResult;
}

async function run(engine: string, env: Record<string, string>): Promise<{ rows: Row[]; loadSeconds: number }> {
  // no scan cycle while pages are timed: the loaded trackings would all be due, and the engine working
  // through 100,000 of them (failing: no forge token) would take the CPU the pages are measured on
  const service = await startChildService({ ...env, PATCH_TRACKING_SCAN_CRON: '0 3 1 1 *' });
  try {
    const loadSeconds = await load(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : { dataDir: service.dataDir });
    const seriesCount = Math.ceil(PATCHES / SERIES_SIZE);
    const cases: [string, (i: number) => Promise<boolean>][] = [
      ['GET / (overview)', () => get(`${service.url}/`)],
      ['GET /trackings?status=error', () => get(`${service.url}/trackings?status=error`)],
      ['GET /trackings (page 200)', () => get(`${service.url}/trackings?after=${Math.floor(TRACKINGS / 2)}`)],
      ['GET /project/bench/list/?state=under-review', () => get(`${service.url}/project/bench/list/?state=under-review`)],
      // every request a different page: nothing for concurrent requests to share
      ['GET /project/bench/list/?state=new&before=<id>', (i) => get(`${service.url}/project/bench/list/?state=new&before=${PATCHES - ((i * 7919) % PATCHES)}`)],
      ['GET /series/<id>/', (i) => get(`${service.url}/series/${1 + ((i * 7919) % seriesCount)}/`)],
    ];
    const only = process.env.BENCH_CASES;
    const rows: Row[] = [];
    for (const [name, request] of cases.filter(([name]) => !only || name.includes(only))) {
      await request(0); // warm: the first answer also fills caches
      rows.push({ engine, case: name, result: await closedLoop(CONCURRENCY, SECONDS, request) });
    }
    return { rows, loadSeconds };
  } finally {
    await service.stop();
  }
}

async function main() {
  const results: Row[] = [];
  const loads: Record<string, number> = {};
  if (ENGINES.includes('embedded')) {
    const embedded = await run('embedded', {});
    results.push(...embedded.rows);
    loads.embedded = embedded.loadSeconds;
  }
  if (!ENGINES.includes('postgresql')) {
    // asked for the embedded database only
  } else if (await pgAvailable(PG_URL)) {
    await withThrowawayDatabase(PG_URL, async (url) => {
      const pg = await run('postgresql', { DATABASE_URL: url });
      results.push(...pg.rows);
      loads.postgresql = pg.loadSeconds;
    });
  } else {
    console.log('(no PostgreSQL answered: embedded database only)');
  }
  console.log(`\n${TRACKINGS} trackings, ${PATCHES} patches, concurrency ${CONCURRENCY}, ${SECONDS} s per case\n`);
  printTable(
    ['engine', 'page', 'req/s', 'p50 ms', 'p99 ms', 'errors'],
    results.map((r) => [r.engine, r.case, r.result.perSecond, r.result.p50, r.result.p99, r.result.errors]),
  );
  console.log(`\nloading: ${Object.entries(loads).map(([e, s]) => `${e} ${s.toFixed(1)} s`).join(', ')}`);
  mkdirSync(path.dirname(JSON_FILE), { recursive: true });
  writeFileSync(JSON_FILE, `${JSON.stringify({ trackings: TRACKINGS, patches: PATCHES, concurrency: CONCURRENCY, seconds: SECONDS, results, loads }, null, 2)}\n`);
  console.log(`results written to ${JSON_FILE}`);
}

// run as a script (npm run bench:web); imported, it only lends its loader
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
