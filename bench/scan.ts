/**
 * npm run bench:scan — one scan cycle over 10,000 enabled `github` trackings against local fakes of the GitHub
 * API (upstream, counting requests) and the Gitee API (target, counting writes), through the real adapters:
 *   (a) nothing changed upstream;  (b) 1% of the upstreams gained 3 commits each.
 * Reports upstream requests and wall time per cycle, and forge writes per published range.
 * Options: BENCH_TRACKINGS (10000), BENCH_PG_URL (also run on PostgreSQL when it answers).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { openDatabase, type DatabaseHandle } from '../src/db/client.js';
import { tracking } from '../src/db/schema/index.js';
import { createGitHubOctokit } from '../src/forges/octokit.js';
import { createForges } from '../src/forges/resolve.js';
import { createLogger } from '../src/log.js';
import { GitHubSource } from '../src/sources/github.js';
import { Engine } from '../src/tracker/engine.js';
import { FakeGitee, FakeGitHub } from '../test/helpers/fake-servers.js';
import { pgAvailable, printTable } from './lib.js';

const TRACKINGS = Number(process.env.BENCH_TRACKINGS ?? 10_000);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SPEC = 'Name: pkg\nVersion: 1.0\nRelease: 1\nSummary: s\nLicense: MIT\nSource0: pkg.tar.gz\n\n%description\nd\n\n%prep\n%autosetup -p1\n\n%changelog\n* Mon Jan 01 2024 A <a@b.c> - 1.0-1\n- init\n';

interface Row {
  engine: string;
  scenario: string;
  upstreamRequests: number;
  graphqlQueries: number;
  seconds: number;
  ranges: number;
  forgeWrites: number;
}

async function runOn(engineName: string, handle: DatabaseHandle): Promise<Row[]> {
  const github = await new FakeGitHub().start();
  const gitee = await new FakeGitee((repo) => ({ [`${repo.split('/')[1]}.spec`]: SPEC })).start();
  try {
    const values = [];
    for (let i = 0; i < TRACKINGS; i++) {
      const head = github.push(`up${i % 1000}/proj${i}`, 1);
      values.push({ versionControl: 'github', scmRepo: `up${i % 1000}/proj${i}`, scmBranch: 'master', scmCommit: head, repo: `src-openeuler/pkg${i}`, branch: 'master', enabled: true });
    }
    for (let i = 0; i < values.length; i += 1000) await handle.db.insert(tracking).values(values.slice(i, i + 1000));

    const engine = new Engine({
      db: handle.db,
      logger: createLogger('silent'),
      sources: { github: new GitHubSource({ octokit: createGitHubOctokit({ token: 'bench-token', apiUrl: github.url }) }) },
      unavailable: {},
      forges: createForges({ giteeAccessToken: 'bench-token', giteeApiUrl: gitee.url }),
      publish: { specEdit: 'auto', botName: 'patch-tracking', botEmail: 'bot@example.org' },
      maxPatchesPerPr: 100,
      concurrency: 8,
    });

    const measure = async (scenario: string): Promise<Row> => {
      const before = { requests: github.requests, graphql: github.graphqlQueries, writes: gitee.writes };
      const started = performance.now();
      const result = await engine.runCycle();
      const seconds = (performance.now() - started) / 1000;
      const published = result.processed;
      return {
        engine: engineName,
        scenario,
        upstreamRequests: github.requests - before.requests,
        graphqlQueries: github.graphqlQueries - before.graphql,
        seconds,
        ranges: published,
        forgeWrites: gitee.writes - before.writes,
      };
    };

    const rows = [await measure('(a) nothing changed')];
    const changed = Math.max(1, Math.round(TRACKINGS / 100));
    for (let i = 0; i < changed; i++) github.push(`up${(i * 97) % 1000}/proj${(i * 97) % TRACKINGS}`, 3);
    rows.push(await measure(`(b) ${changed} changed, 3 commits each`));
    return rows;
  } finally {
    await github.close();
    await gitee.close();
  }
}

async function main() {
  const rows: Row[] = [];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pt-bench-scan-'));
  const embedded = await openDatabase({ dataDir });
  try {
    rows.push(...(await runOn('embedded', embedded)));
  } finally {
    await embedded.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (await pgAvailable(PG_URL)) {
    const name = `pt_bench_${randomBytes(4).toString('hex')}`;
    const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const url = new URL(PG_URL);
    url.pathname = `/${name}`;
    const handle = await openDatabase({ databaseUrl: url.toString() });
    try {
      rows.push(...(await runOn('postgresql', handle)));
    } finally {
      await handle.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }
  console.log(`\n${TRACKINGS} enabled github trackings, one cycle each\n`);
  printTable(
    ['engine', 'scenario', 'upstream req', 'graphql', 'req/100 trackings', 'cycle s', 'ranges', 'forge writes', 'writes/range'],
    rows.map((r) => [
      r.engine,
      r.scenario,
      r.upstreamRequests,
      r.graphqlQueries,
      (r.upstreamRequests / TRACKINGS) * 100,
      r.seconds,
      r.ranges,
      r.forgeWrites,
      r.ranges ? r.forgeWrites / r.ranges : 0,
    ]),
  );
  console.log('\nold program: 2 upstream requests per tracking per cycle; 3 + commits forge writes per range');
  console.log(`\n${JSON.stringify({ trackings: TRACKINGS, rows })}`);
}

await main();
