/** Small helpers shared by the benchmarks: a child-process service, a closed-loop load generator, tables. */
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { hashPassword } from '../src/auth/passwords.js';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const BENCH_PASSWORD = 'Bench@123';

export interface ChildService {
  url: string;
  /** the service's DATA_DIR (its embedded database lives here unless DATABASE_URL is set) */
  dataDir: string;
  child: ChildProcess;
  /** resolves when `path` first answers 200 */
  waitForAnswer(path?: string): Promise<void>;
  /** stops the service; the data directory is removed unless it was kept (removeKept removes it anyway) */
  stop(removeKept?: boolean): Promise<void>;
}

/** The real service in its own process (so the load generator doesn't share its event loop). */
export async function startChildService(env: Record<string, string> = {}, options: { dataDir?: string; keepDataDir?: boolean } = {}): Promise<ChildService> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'pt-bench-'));
  const conf = path.join(dataDir, 'settings.conf');
  if (!options.dataDir) writeFileSync(conf, `LISTEN = "127.0.0.1:0"\nPASSWORD = "${await hashPassword(BENCH_PASSWORD)}"\nDATA_DIR = "${dataDir}"\nSCAN_DB_INTERVAL = 86400\nLOG_LEVEL = "info"\n`);
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the service
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  // BENCH_ROOT runs the service of another checkout (the same bench against the code before a change)
  // BENCH_DIST=1 runs the built service (npm run build), as `npm start` does: no TypeScript compiled at start
  const entry = process.env.BENCH_DIST ? ['dist/cli/patch-tracking.js'] : ['--import', 'tsx', 'cli/patch-tracking.ts'];
  const child = spawn(process.execPath, [...nodeArgs, ...entry, 'serve', '--config', conf], {
    cwd: process.env.BENCH_ROOT ?? ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /"url":"(http[^"]+)"/.exec(out);
      if (match) {
        clearInterval(timer);
        resolve(match[1]!);
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`service exited: ${out}`));
      }
    }, 50);
  });
  return {
    url,
    dataDir,
    child,
    waitForAnswer: async (p = '/healthz') => {
      for (;;) {
        const ok = await fetch(`${url}${p}`).then((r) => r.arrayBuffer().then(() => r.ok), () => false);
        if (ok) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: (removeKept = false) =>
      new Promise<void>((resolve) => {
        child.once('exit', () => {
          if (!options.keepDataDir || removeKept) rmSync(dataDir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** `concurrency` workers each send one request after another for `seconds`. */
export async function closedLoop(concurrency: number, seconds: number, request: (i: number) => Promise<boolean>): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let counter = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const ok = await request(counter++).catch(() => false);
        latencies.push(performance.now() - t0);
        if (!ok) errors += 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requests: latencies.length, errors, seconds: elapsed, perSecond: latencies.length / elapsed, p50: pick(0.5), p99: pick(0.99) };
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? 0 : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** `--name value` from the command line, else the environment variable, else the default. */
export function option(name: string, env: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1 && process.argv[i + 1]) return process.argv[i + 1]!;
  return process.env[env] ?? fallback;
}

/** The PostgreSQL server to measure besides the embedded one: --pg URL, BENCH_PG_URL, TEST_DATABASE_URL, DATABASE_URL. */
export function pgServerUrl(): string {
  return option('pg', 'BENCH_PG_URL', process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
}

/** Writes the JSON results to --json PATH (default: the temp directory) and says where. */
export function writeJson(name: string, data: unknown): void {
  const file = option('json', 'BENCH_JSON', path.join(tmpdir(), `patch-tracking-bench-${name}.json`));
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  console.log(`\nJSON: ${file}`);
}

export function printTable(headers: string[], rows: (string | number)[][]): void {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? (Number.isInteger(c) ? String(c) : c.toFixed(2)) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  const line = (r: (string | number)[]) => r.map((c, i) => String(c).padEnd(widths[i]!)).join('  ');
  console.log(line(cells[0]!));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

export async function pgAvailable(url: string): Promise<boolean> {
  const { default: postgres } = await import('postgres');
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** A fresh database on the PostgreSQL server at serverUrl for `work`, dropped afterwards whatever happens. */
export async function withThrowawayDatabase<T>(serverUrl: string, work: (url: string) => Promise<T>): Promise<T> {
  const name = `pt_bench_${randomBytes(5).toString('hex')}`;
  const { default: postgres } = await import('postgres');
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    return await work(url.toString());
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** "median (min–max)" of one case's rounds. */
export function spread(values: number[], digits = 2): string {
  if (values.length === 0) return '';
  const f = (v: number) => v.toFixed(digits);
  return values.length === 1 ? f(values[0]!) : `${f(median(values))} (${f(Math.min(...values))}–${f(Math.max(...values))})`;
}

/** A comma-separated list option: --name a,b,c. */
export function listOption(name: string, env: string, fallback: string): string[] {
  return option(name, env, fallback).split(',').map((s) => s.trim()).filter(Boolean);
}
