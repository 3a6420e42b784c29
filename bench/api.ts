/**
 * npm run bench:api — requests/s and p50/p99 latency of the REST API with 10,000 trackings, at concurrency 10
 * for 10 s per case, on the embedded database and (when it answers) PostgreSQL. The service runs in a child
 * process; this process only generates load.
 * Options: BENCH_TRACKINGS (10000), BENCH_SECONDS (10), BENCH_CONCURRENCY (10), BENCH_PG_URL.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import postgres from 'postgres';
import { BENCH_PASSWORD, closedLoop, pgAvailable, printTable, startChildService, type LoadResult } from './lib.js';

const TRACKINGS = Number(process.env.BENCH_TRACKINGS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const AUTH = `Basic ${Buffer.from(`admin:${BENCH_PASSWORD}`).toString('base64')}`;

const item = (i: number, enabled = true) => ({
  version_control: 'github',
  scm_repo: `upstream-${i % 500}/project-${i}`,
  scm_branch: 'master',
  repo: `https://gitee.com/src-openeuler/pkg-${i}`,
  branch: i % 2 ? 'master' : 'openEuler-22.03-LTS',
  enabled,
});

async function post(url: string, body: unknown): Promise<boolean> {
  const res = await fetch(`${url}/tracking`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: AUTH }, body: JSON.stringify(body) });
  const json = await res.json();
  return json.code === '2001';
}

// node:http with a keep-alive agent: a lighter client than fetch, so the load generator (which shares the
// two cores with the service) takes less of the CPU it is measuring
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

async function seed(url: string): Promise<number> {
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < TRACKINGS) {
        const i = next++;
        if (!(await post(url, item(i)))) throw new Error(`seeding ${i} failed`);
      }
    }),
  );
  return (Date.now() - started) / 1000;
}

async function run(engine: string, env: Record<string, string>) {
  const service = await startChildService(env);
  try {
    const seedSeconds = await seed(service.url);
    const cases: [string, (i: number) => Promise<boolean>][] = [
      // the HTTP stack alone, no database: what the other cases cost beyond it is the query
      ['GET /healthz (no database)', () => get(`${service.url}/healthz`)],
      ['GET /tracking (all rows)', () => get(`${service.url}/tracking`)],
      [
        'GET /tracking?repo=&branch= (one row)',
        (i) => {
          const n = (i * 7919) % TRACKINGS;
          const it = item(n);
          return get(`${service.url}/tracking?repo=${encodeURIComponent(it.repo)}&branch=${encodeURIComponent(it.branch)}`);
        },
      ],
      ['POST /tracking (authenticated upsert)', (i) => post(service.url, { ...item((i * 104729) % TRACKINGS, i % 2 === 0), scm_commit: randomBytes(20).toString('hex') })],
    ];
    const rows: { engine: string; case: string; result: LoadResult }[] = [];
    const only = process.env.BENCH_CASES; // e.g. "one row" to measure one case alone
    for (const [name, request] of cases.filter(([name]) => !only || name.includes(only))) {
      // the full listing is ~3 MB per answer: fewer seconds say as much
      const seconds = name.includes('all rows') ? Math.min(SECONDS, 5) : SECONDS;
      rows.push({ engine, case: name, result: await closedLoop(CONCURRENCY, seconds, request) });
    }
    return { rows, seedSeconds };
  } finally {
    await service.stop();
  }
}

async function main() {
  const results: { engine: string; case: string; result: LoadResult }[] = [];
  const seeds: Record<string, number> = {};
  const embedded = await run('embedded', {});
  results.push(...embedded.rows);
  seeds.embedded = embedded.seedSeconds;
  if (await pgAvailable(PG_URL)) {
    const name = `pt_bench_${randomBytes(4).toString('hex')}`;
    const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    try {
      const url = new URL(PG_URL);
      url.pathname = `/${name}`;
      const pg = await run('postgresql', { DATABASE_URL: url.toString() });
      results.push(...pg.rows);
      seeds.postgresql = pg.seedSeconds;
    } finally {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  } else {
    console.log(`(no PostgreSQL at ${PG_URL}: embedded database only)`);
  }
  console.log(`\n${TRACKINGS} trackings, concurrency ${CONCURRENCY}, ${SECONDS} s per case (the full listing: 5 s)\n`);
  printTable(
    ['engine', 'case', 'req/s', 'p50 ms', 'p99 ms', 'errors'],
    results.map((r) => [r.engine, r.case, r.result.perSecond, r.result.p50, r.result.p99, r.result.errors]),
  );
  console.log(`\nseeding ${TRACKINGS} upserts at concurrency 20: ${Object.entries(seeds).map(([e, s]) => `${e} ${s.toFixed(1)} s`).join(', ')}`);
  console.log(`\n${JSON.stringify({ trackings: TRACKINGS, concurrency: CONCURRENCY, seconds: SECONDS, results, seeds })}`);
}

await main();
