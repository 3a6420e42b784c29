/**
 * `npm run bench:ingest`: mail ingest throughput and memory. Generates mboxes (default 20,000 and 100,000
 * messages) from a synthetic git history (bench/generate-archive.ts), then runs, each in a child process
 * of its own: parse only; parse+store into the embedded PostgreSQL server (on disk); parse+store into
 * PostgreSQL (a throwaway database on the server of --pg / BENCH_PG_URL / TEST_DATABASE_URL / DATABASE_URL,
 * when one answers). The runs are interleaved, round after round, so a neighbour's load spreads over all of
 * them; the table gives medians (min–max) over the rounds, and the JSON every run.
 *
 * Options (flag or environment): --sizes 20000,100000 (BENCH_SIZES), --modes parse,embedded,postgres
 * (BENCH_MODES), --batch-size 500 (BENCH_BATCH_SIZE), --rounds 3 (BENCH_ROUNDS), --pg URL, --json PATH.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchOutDir, generateArchive, makeHistory } from './generate-archive.js';
import { listOption, median, option, pgAvailable, pgServerUrl, printTable, spread, withThrowawayDatabase, writeJson } from './lib.js';

interface RunResult {
  mode: string;
  size: number;
  messages: number;
  seconds: number;
  perSecond: number;
  peakRssMb: number;
  patches?: number;
  covers?: number;
  comments?: number;
  duplicates?: number;
  dropped?: number;
}

const sizes = listOption('sizes', 'BENCH_SIZES', '20000,100000').map(Number);
const modes = listOption('modes', 'BENCH_MODES', 'parse,embedded,postgres');
const batchSize = option('batch-size', 'BENCH_BATCH_SIZE', '500');
const ROUNDS = Number(option('rounds', 'BENCH_ROUNDS', '3'));

function runWorker(mode: string, path: string, url?: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'ingest-worker.ts'), mode, path, ...(url ? [url] : [])],
      { env: { ...process.env, BENCH_BATCH_SIZE: batchSize, LOG_LEVEL: 'silent' }, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`${mode} run failed: ${stderr || err.message}`));
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)!));
      },
    );
  });
}

async function main(): Promise<void> {
  const out = benchOutDir();
  const pgUrl = pgServerUrl();
  const pg = modes.includes('postgres') && (await pgAvailable(pgUrl)) ? pgUrl : null;
  if (modes.includes('postgres') && !pg) process.stderr.write('no PostgreSQL server answers: skipping the postgres runs\n');

  let commits: ReturnType<typeof makeHistory> | null = null;
  const archives: Array<{ size: number; path: string; bytes: number; series: number }> = [];
  for (const size of sizes) {
    const path = join(out, `ingest-${size}.mbox`);
    if (!existsSync(path)) {
      commits ??= makeHistory(3000);
      const g = await generateArchive(path, size, commits);
      archives.push({ size, path, bytes: g.bytes, series: g.series });
    } else archives.push({ size, path, bytes: statSync(path).size, series: -1 });
  }

  const cases = archives.flatMap((a) => modes.filter((m) => m !== 'postgres' || pg).map((mode) => ({ mode, size: a.size, path: a.path, runs: [] as RunResult[] })));
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      process.stderr.write(`round ${round + 1}: ${c.mode} on ${c.size} messages...\n`);
      const r = c.mode === 'postgres' ? await withThrowawayDatabase(pg!, (url) => runWorker(c.mode, c.path, url)) : await runWorker(c.mode, c.path);
      c.runs.push({ ...(r as unknown as RunResult), size: c.size });
    }
  }

  console.log(`\nmail ingest on ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, batch ${batchSize}, ${ROUNDS} rounds (interleaved)\n`);
  printTable(
    ['mode', 'archive', 'messages', 'msg/s median (min–max)', 'seconds median', 'peak RSS MB median (min–max)', 'patches/covers/comments/dup/dropped'],
    cases.map((c) => {
      const last = c.runs.at(-1)!;
      return [
        c.mode,
        c.size,
        last.messages,
        spread(c.runs.map((r) => r.perSecond), 0),
        median(c.runs.map((r) => r.seconds)),
        spread(c.runs.map((r) => r.peakRssMb), 0),
        last.patches === undefined ? '' : `${last.patches}/${last.covers}/${last.comments}/${last.duplicates}/${last.dropped}`,
      ];
    }),
  );
  writeJson('ingest', { benchmark: 'ingest', batchSize: Number(batchSize), rounds: ROUNDS, archives, cases: cases.map(({ path: _path, ...c }) => c) });
}

main().catch((err) => {
  process.stderr.write(`bench:ingest failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
