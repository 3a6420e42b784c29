/**
 * npm run bench:match — the landed-patch backfill at scale: a synthetic upstream of N commits (built with
 * `git fast-import`) and M stored patches, of which a share are the upstream commits' own diffs (matched by
 * patch-id) and a few are re-typed versions of them (matched by author + subject + date). Times, each through
 * the code production runs: the stored patches' patch-ids, recording the upstream's commits with theirs,
 * and the match. Prints a table and writes bench/out/match-N-M.json.
 * Options: --commits 10000 --patches 100000 --landed 2000 (patches that are upstream commits) --fuzzy 100
 *          --database URL (a PostgreSQL server to make a throwaway database on; default: the embedded server)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { openDatabase, type DatabaseHandle } from '../src/db/client.js';
import { mailProject } from '../src/db/schema/mail.js';
import { fillPatchIds, matchLanded } from '../src/mail/landed/match.js';
import { syncUpstream } from '../src/mail/landed/upstream.js';
import { createProject } from '../src/mail/store/projects.js';
import { normalizeTitle } from '../src/mail/subject.js';
import { GitSource } from '../src/sources/git.js';
import { UpstreamPolicy } from '../src/sources/upstream-policy.js';
import { benchOutDir } from './generate-archive.js';
import { printTable } from './lib.js';
import { benchGit, buildSyntheticUpstream, START } from './synthetic-upstream.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const COMMITS = Number(arg('commits', '10000'));
const PATCHES = Number(arg('patches', '100000'));
const LANDED = Math.min(COMMITS, PATCHES, Number(arg('landed', '2000')));
const FUZZY = Math.min(LANDED, Number(arg('fuzzy', '100')));
const DATABASE = arg('database', '');
const GIT = { gitBinary: 'git', timeoutMs: 30 * 60_000 };
const AUTHORS = 50;

const git = benchGit;

function buildUpstream(dir: string): void {
  buildSyntheticUpstream(dir, { commits: COMMITS, authors: AUTHORS });
}

/** The diffs of the first `count` commits as `git log -p` prints them (what a posted patch of each carries). */
function commitDiffs(dir: string, count: number): Array<{ diff: string; subject: string; author: string; date: number }> {
  const out = git(dir, ['log', '--reverse', '-p', `--max-count=${count}`, '--format=%x00%s%x1f%ae%x1f%at%x1f', 'main']).toString('utf8');
  return out
    .split('\0')
    .filter(Boolean)
    .map((record) => {
      const [subject, author, date, rest = ''] = record.split('\x1f');
      return { subject: subject!, author: author!, date: Number(date), diff: rest.replace(/^\n+/, '') };
    });
}

/** M patches in bulk (the ingest has its own benchmark): landed ones, re-typed ones, and the rest never upstream. */
async function storePatches(h: DatabaseHandle, projectId: number, upstream: string): Promise<void> {
  // the newest commits are the landed ones: oldest first, so take from the end
  const landed = commitDiffs(upstream, COMMITS).slice(-LANDED);
  await h.db.execute(sql`insert into person (email, name) select 'dev' || n || '@example.org', 'Dev ' || n from generate_series(0, ${AUTHORS - 1}) as n
    union all select 'other' || n || '@example.org', 'Other ' || n from generate_series(0, ${AUTHORS - 1}) as n`);
  const CHUNK = 5000;
  for (let start = 0; start < PATCHES; start += CHUNK) {
    const rows = [];
    for (let i = start; i < Math.min(PATCHES, start + CHUNK); i++) {
      if (i < LANDED) {
        const c = landed[i]!;
        // the first FUZZY ones were re-typed by the maintainer: one more line than the commit has
        const diff = i < FUZZY ? c.diff.replace(/\n$/, '\n+/* reviewed */\n').replace(/@@ -(\d+),(\d+) \+(\d+),(\d+) @@/, (_m, a, b, s, n) => `@@ -${a},${b} +${s},${Number(n) + 1} @@`) : c.diff;
        rows.push({ i, email: c.author, name: `[PATCH] ${c.subject}`, key: normalizeTitle(c.subject), date: c.date, diff });
      } else {
        const f = `other/f${i % 500}.c`;
        const diff = `diff --git a/${f} b/${f}\nindex 1111111..2222222 100644\n--- a/${f}\n+++ b/${f}\n@@ -1 +1,2 @@\n base\n+patch ${i}\n`;
        rows.push({ i, email: `other${i % AUTHORS}@example.org`, name: `[PATCH] misc: change ${i}`, key: `misc: change ${i}`, date: START + (i % COMMITS) * 60, diff });
      }
    }
    const json = JSON.stringify(rows);
    await h.db.execute(sql`with x as (select * from json_to_recordset(${json}::json) as x(i int, email text, name text, key text, date bigint, diff text)),
      m as (insert into mail_message (project_id, msgid, kind, raw) select ${projectId}, '<bench-' || i || '@example.org>', 'patch', '\\x'::bytea from x returning id, msgid)
      insert into patch (project_id, message_id, msgid, name, name_key, date, submitter_id, state, diff)
      select ${projectId}, m.id, m.msgid, x.name, x.key, to_timestamp(x.date), p.id, 'new', x.diff
      from x join m on m.msgid = '<bench-' || x.i || '@example.org>' join person as p on p.email = x.email`);
  }
}

async function openBenchDatabase(): Promise<{ handle: DatabaseHandle; engine: string; cleanup(): Promise<void> }> {
  if (DATABASE) {
    const name = `pt_bench_${randomBytes(5).toString('hex')}`;
    const admin = postgres(DATABASE, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const url = new URL(DATABASE);
    url.pathname = `/${name}`;
    const handle = await openDatabase({ databaseUrl: url.toString(), maxConnections: 2 });
    return {
      handle,
      engine: 'postgres',
      async cleanup() {
        await handle.close();
        await admin.unsafe(`drop database if exists ${name} with (force)`);
        await admin.end();
      },
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'pt-bench-match-db-'));
  const handle = await openDatabase({ dataDir });
  return {
    handle,
    engine: 'embedded',
    async cleanup() {
      await handle.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'pt-bench-match-'));
  const { handle, engine, cleanup } = await openBenchDatabase();
  try {
    const upstream = join(work, 'upstream');
    let t = performance.now();
    buildUpstream(upstream);
    const buildSeconds = (performance.now() - t) / 1000;
    const project = await createProject(handle.db, { linkName: 'bench', listId: 'bench.example.org', scmUrl: `file://${upstream}`, scmBranches: ['main'] });
    t = performance.now();
    await storePatches(handle, project.id, upstream);
    const storeSeconds = (performance.now() - t) / 1000;

    t = performance.now();
    const computed = await fillPatchIds(handle.db, project.id, GIT);
    const patchIdSeconds = (performance.now() - t) / 1000;

    // the synthetic upstream is a local repository: allowed here as ALLOW_LOCAL_UPSTREAMS allows it in a service
    const source = new GitSource({ dataDir: join(work, 'data'), timeoutMs: GIT.timeoutMs, upstreamPolicy: new UpstreamPolicy({ allowLocal: true }) });
    t = performance.now();
    const [row] = await handle.db.select().from(mailProject).where(sql`${mailProject.id} = ${project.id}`);
    const sync = await syncUpstream(handle.db, row!, source, { git: GIT, since: new Date(0) });
    const syncSeconds = (performance.now() - t) / 1000;

    t = performance.now();
    const match = await matchLanded(handle.db, row!, { git: GIT, since: new Date(0) });
    const matchSeconds = (performance.now() - t) / 1000;
    const byMethod = (m: string) => match.landed.filter((l) => l.method === m).length;

    const result = {
      engine,
      cores: cpus().length,
      commits: sync.recorded,
      patches: PATCHES,
      expected: { patchId: LANDED - FUZZY, fuzzy: FUZZY },
      matched: { patchId: byMethod('patch-id'), fuzzy: byMethod('fuzzy') },
      seconds: { buildUpstream: buildSeconds, storePatches: storeSeconds, patchIds: patchIdSeconds, upstreamCommits: syncSeconds, match: matchSeconds },
      rates: { patchesPerSecond: computed / patchIdSeconds, commitsPerSecond: sync.recorded / syncSeconds, matchPatchesPerSecond: PATCHES / matchSeconds },
    };
    console.log(`\nlanded-patch backfill: ${COMMITS} upstream commits, ${PATCHES} stored patches (${LANDED} landed, ${FUZZY} re-typed), ${engine} database, ${cpus().length} cores\n`);
    printTable(
      ['step', 'items', 'seconds', 'items/s'],
      [
        ['patch-ids of stored patches', computed, patchIdSeconds, Math.round(computed / patchIdSeconds)],
        ['upstream commits recorded (log + patch-id + insert)', sync.recorded, syncSeconds, Math.round(sync.recorded / syncSeconds)],
        ['match (patch-id join + fuzzy join + updates)', PATCHES, matchSeconds, Math.round(PATCHES / matchSeconds)],
      ],
    );
    console.log(`\nmatched: ${result.matched.patchId} by patch-id (expected ${result.expected.patchId}), ${result.matched.fuzzy} fuzzy (expected ${result.expected.fuzzy})`);
    const file = join(benchOutDir(), `match-${COMMITS}-${PATCHES}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`written to ${file}`);
    if (result.matched.patchId !== result.expected.patchId || result.matched.fuzzy !== result.expected.fuzzy) process.exitCode = 1;
  } finally {
    await cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
