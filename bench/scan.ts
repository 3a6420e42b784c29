/**
 * npm run bench:scan — scan cycles over N enabled `github` trackings against local fakes of the GitHub API
 * (upstream, counting requests) and the Gitee API (target, counting writes), through the real adapters:
 *   (a) nothing changed upstream;  (b) 1% of the upstreams gained 3 commits each.
 * On the embedded database, on PostgreSQL, and on PostgreSQL with 2 and 3 replicas sharing the trackings
 * (engines with their own pools and names on one database: one checks the heads under the named lease, all
 * take the queued work). The cases run interleaved, round after round, so a neighbour's load spreads over
 * all of them; the table gives medians (min–max) over the rounds. The replicas and the fakes share this
 * process, as in the single-replica case.
 *
 * Options (flag or environment): --trackings N (BENCH_TRACKINGS, 10000), --rounds N (BENCH_ROUNDS, 3),
 * --replicas 1,2,3 (BENCH_REPLICAS: the PostgreSQL replica counts), --engines embedded,postgresql
 * (BENCH_ENGINES), --scenarios a,b (BENCH_SCENARIOS), --pg URL (BENCH_PG_URL, TEST_DATABASE_URL, DATABASE_URL), --json PATH.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase, type DatabaseHandle } from '../src/db/client.js';
import { tracking } from '../src/db/schema/index.js';
import { createGitHubOctokit } from '../src/forges/octokit.js';
import { createForges } from '../src/forges/resolve.js';
import { createLogger } from '../src/log.js';
import { GitHubSource } from '../src/sources/github.js';
import { Engine } from '../src/tracker/engine.js';
import { FakeGitee, FakeGitHub } from '../test/helpers/fake-servers.js';
import { listOption, median, option, pgAvailable, pgServerUrl, printTable, spread, withThrowawayDatabase, writeJson } from './lib.js';

const TRACKINGS = Number(option('trackings', 'BENCH_TRACKINGS', '10000'));
const ROUNDS = Number(option('rounds', 'BENCH_ROUNDS', '3'));
const REPLICAS = listOption('replicas', 'BENCH_REPLICAS', '1,2,3').map(Number);
const ENGINES = listOption('engines', 'BENCH_ENGINES', 'embedded,postgresql');
const SCENARIOS = listOption('scenarios', 'BENCH_SCENARIOS', 'a,b') as ('a' | 'b')[];
const PG_URL = pgServerUrl();
const CHANGED = Math.max(1, Math.round(TRACKINGS / 100));
const SPEC = 'Name: pkg\nVersion: 1.0\nRelease: 1\nSummary: s\nLicense: MIT\nSource0: pkg.tar.gz\n\n%description\nd\n\n%prep\n%autosetup -p1\n\n%changelog\n* Mon Jan 01 2024 A <a@b.c> - 1.0-1\n- init\n';

interface Cycle {
  seconds: number;
  upstreamRequests: number;
  graphqlQueries: number;
  ranges: number;
  forgeWrites: number;
}

interface Case {
  engine: string;
  replicas: number;
  scenario: 'a' | 'b';
  rounds: Cycle[];
}

/** One database with its trackings, the fakes it talks to, and one engine per replica (each with its own pool). */
interface Target {
  engine: string;
  github: FakeGitHub;
  gitee: FakeGitee;
  handles: DatabaseHandle[];
  engines: Engine[];
  pushed: number;
}

async function prepare(engineName: string, open: () => Promise<DatabaseHandle>, replicas: number): Promise<Target> {
  const github = await new FakeGitHub().start();
  const gitee = await new FakeGitee((repo) => ({ [`${repo.split('/')[1]}.spec`]: SPEC })).start();
  const handles: DatabaseHandle[] = [];
  for (let r = 0; r < replicas; r++) handles.push(await open());
  const values = [];
  for (let i = 0; i < TRACKINGS; i++) {
    const head = github.push(`up${i % 1000}/proj${i}`, 1);
    values.push({ versionControl: 'github', scmRepo: `up${i % 1000}/proj${i}`, scmBranch: 'master', scmCommit: head, repo: `src-openeuler/pkg${i}`, branch: 'master', enabled: true });
  }
  for (let i = 0; i < values.length; i += 1000) await handles[0]!.db.insert(tracking).values(values.slice(i, i + 1000));
  const engines = handles.map(
    (handle, r) =>
      new Engine({
        db: handle.db,
        logger: createLogger('silent'),
        owner: `bench-replica-${r + 1}`,
        sources: { github: new GitHubSource({ octokit: createGitHubOctokit({ token: 'bench-token', apiUrl: github.url }) }) },
        unavailable: {},
        forges: createForges({ giteeAccessToken: 'bench-token', giteeApiUrl: gitee.url }),
        publish: { specEdit: 'auto', botName: 'patch-tracking', botEmail: 'bot@example.org' },
        maxPatchesPerPr: 100,
        concurrency: 8,
      }),
  );
  return { engine: engineName, github, gitee, handles, engines, pushed: 0 };
}

async function release(target: Target): Promise<void> {
  for (const handle of target.handles) await handle.close();
  await target.github.close();
  await target.gitee.close();
}

/** One cycle on `replicas` engines at once; (b) first gives 1% of the upstreams (others each round) 3 commits. */
async function cycle(target: Target, replicas: number, scenario: 'a' | 'b'): Promise<Cycle> {
  const { github, gitee } = target;
  if (scenario === 'b') {
    for (let k = 0; k < CHANGED; k++) {
      const i = ((target.pushed + k) * 97) % TRACKINGS;
      github.push(`up${i % 1000}/proj${i}`, 3);
    }
    target.pushed += CHANGED;
  }
  const before = { requests: github.requests, graphql: github.graphqlQueries, writes: gitee.writes };
  const started = performance.now();
  const results = await Promise.all(target.engines.slice(0, replicas).map((e) => e.runCycle()));
  return {
    seconds: (performance.now() - started) / 1000,
    upstreamRequests: github.requests - before.requests,
    graphqlQueries: github.graphqlQueries - before.graphql,
    ranges: results.reduce((n, r) => n + r.processed, 0),
    forgeWrites: gitee.writes - before.writes,
  };
}

async function main() {
  const targets: Target[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const cases: Case[] = [];
  try {
    if (ENGINES.includes('embedded')) {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'pt-bench-scan-'));
      cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
      const target = await prepare('embedded', () => openDatabase({ dataDir }), 1);
      targets.push(target);
      for (const scenario of SCENARIOS) cases.push({ engine: 'embedded', replicas: 1, scenario, rounds: [] });
    }
    if (ENGINES.includes('postgresql') && (await pgAvailable(PG_URL))) {
      // the throwaway database lives until the end: withThrowawayDatabase's work is the rest of the run
      let done!: () => void;
      let ready!: (url: string) => void;
      const url = new Promise<string>((r) => (ready = r));
      const finished = withThrowawayDatabase(PG_URL, (u) => {
        ready(u);
        return new Promise<void>((r) => (done = r));
      });
      cleanups.push(async () => {
        done();
        await finished;
      });
      const databaseUrl = await url;
      const target = await prepare('postgresql', () => openDatabase({ databaseUrl }), Math.max(...REPLICAS));
      targets.push(target);
      for (const replicas of REPLICAS) for (const scenario of SCENARIOS) cases.push({ engine: 'postgresql', replicas, scenario, rounds: [] });
    } else if (ENGINES.includes('postgresql')) {
      console.log(`(no PostgreSQL at ${new URL(PG_URL).host}: embedded database only)`);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) {
        const target = targets.find((t) => t.engine === c.engine)!;
        c.rounds.push(await cycle(target, c.replicas, c.scenario));
        process.stderr.write(`round ${round + 1}: ${c.engine} x${c.replicas} (${c.scenario}) ${c.rounds.at(-1)!.seconds.toFixed(2)} s\n`);
      }
    }
  } finally {
    for (const t of targets) await release(t);
    for (const cleanup of cleanups.reverse()) await cleanup();
  }

  console.log(`\n${TRACKINGS} enabled github trackings; (a) nothing changed, (b) ${CHANGED} changed by 3 commits each; ${ROUNDS} rounds (interleaved)\n`);
  printTable(
    ['engine', 'replicas', 'scenario', 'cycle s median (min–max)', 'upstream req', 'req/100 trackings', 'ranges', 'forge writes/range'],
    cases.map((c) => {
      const requests = median(c.rounds.map((r) => r.upstreamRequests));
      const ranges = median(c.rounds.map((r) => r.ranges));
      return [
        c.engine,
        c.replicas,
        c.scenario,
        spread(c.rounds.map((r) => r.seconds)),
        requests,
        (requests / TRACKINGS) * 100,
        ranges,
        ranges ? median(c.rounds.map((r) => r.forgeWrites)) / ranges : 0,
      ];
    }),
  );
  console.log('\nold program: 2 upstream requests per tracking per cycle; 3 + commits forge writes per range');
  writeJson('scan', { trackings: TRACKINGS, changed: CHANGED, rounds: ROUNDS, cases });
}

await main();
