/**
 * `npm run bench:ingest`: mail ingest throughput and memory. Generates mboxes (default 20,000 and 100,000
 * messages) from a synthetic git history (bench/generate-archive.ts), then runs, each in a child process
 * of its own: parse only; parse+store into the embedded PostgreSQL server (on disk); parse+store into PostgreSQL (a throwaway
 * database on BENCH_DATABASE_URL / TEST_DATABASE_URL / postgres://postgres@127.0.0.1:5432/postgres, when
 * one answers). Prints a table and a JSON document.
 *
 * Options: --sizes 20000,100000   --modes parse,embedded,postgres   --batch-size 500
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { benchOutDir, generateArchive, makeHistory } from './generate-archive.js';
import { withThrowawayDatabase } from './lib.js';

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

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const sizes = arg('sizes', '20000,100000').split(',').map(Number);
const modes = arg('modes', 'parse,embedded,postgres').split(',');
const batchSize = arg('batch-size', '500');

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

async function postgresServer(): Promise<string | null> {
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 3 });
  try {
    await sql`select 1`;
    return url;
  } catch {
    return null;
  } finally {
    await sql.end({ timeout: 1 });
  }
}


async function main(): Promise<void> {
  const out = benchOutDir();
  const pg = modes.includes('postgres') ? await postgresServer() : null;
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

  const results: RunResult[] = [];
  for (const a of archives) {
    for (const mode of modes) {
      if (mode === 'postgres' && !pg) continue;
      process.stderr.write(`running ${mode} on ${a.size} messages...\n`);
      const r = mode === 'postgres' ? await withThrowawayDatabase(pg!, (url) => runWorker(mode, a.path, url)) : await runWorker(mode, a.path);
      results.push({ ...(r as unknown as RunResult), size: a.size });
    }
  }

  const rows = results.map((r) => [
    r.mode,
    String(r.size),
    String(r.messages),
    r.seconds.toFixed(1),
    Math.round(r.perSecond).toString(),
    r.peakRssMb.toFixed(0),
    r.patches === undefined ? '' : `${r.patches}/${r.covers}/${r.comments}/${r.duplicates}/${r.dropped}`,
  ]);
  const head = ['mode', 'archive', 'messages', 'seconds', 'msg/s', 'peak RSS MB', 'patches/covers/comments/dup/dropped'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`\nmail ingest on ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, batch ${batchSize}\n`);
  process.stdout.write(line(head) + '\n' + line(widths.map((w) => '-'.repeat(w))) + '\n');
  for (const r of rows) process.stdout.write(line(r) + '\n');
  process.stdout.write('\n' + JSON.stringify({ benchmark: 'ingest', batchSize: Number(batchSize), archives, results }, null, 2) + '\n');
}

main().catch((err) => {
  process.stderr.write(`bench:ingest failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
