/**
 * npm run bench:memory — the memory of the service on its embedded database, and how fast it starts:
 *   - first start (a new cluster), then start to first answer on the existing data directory (restart);
 *   - resident memory idle after the restart (10,000 trackings listed once), and the peak while
 *     `patch-tracking parsearchive` stores a --messages (100,000) message archive into the running server.
 * Memory is the service process's RSS plus the embedded PostgreSQL's (postmaster and its backends) summed as
 * PSS, so the shared buffers every backend maps are counted once; the parsearchive process is listed apart.
 * Options: --messages N (BENCH_MESSAGES, 100000; 0 skips the ingest), --json PATH.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/db/client.js';
import { embeddedLayout } from '../src/db/embedded.js';
import { createProject } from '../src/mail/store/projects.js';
import { BENCH_LIST_ID, benchOutDir, generateArchive, makeHistory } from './generate-archive.js';
import { ROOT, option, printTable, startChildService, writeJson } from './lib.js';

const MESSAGES = Number(option('messages', 'BENCH_MESSAGES', '100000'));

/** kB of one /proc field (VmRSS in status, Pss in smaps_rollup); 0 when the process is gone. */
function procKb(pid: number, file: 'status' | 'smaps_rollup', field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function childrenOf(parent: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // the ppid is the second field after the parenthesised command name
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The embedded server's postmaster pid (first line of its postmaster.pid). */
function postmasterPid(dataDir: string): number | undefined {
  const file = path.join(embeddedLayout(dataDir).cluster, 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
}

interface Sample {
  serviceMb: number;
  postgresMb: number;
  totalMb: number;
  otherMb: number;
}

function sample(servicePid: number, dataDir: string, other?: number): Sample {
  const serviceMb = procKb(servicePid, 'status', 'VmRSS') / 1024;
  const postmaster = postmasterPid(dataDir);
  const pids = postmaster ? [postmaster, ...childrenOf(postmaster)] : [];
  const postgresMb = pids.reduce((n, pid) => n + procKb(pid, 'smaps_rollup', 'Pss'), 0) / 1024;
  const otherMb = other ? procKb(other, 'status', 'VmRSS') / 1024 : 0;
  return { serviceMb, postgresMb, totalMb: serviceMb + postgresMb, otherMb };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const rows: (string | number)[][] = [];
  const record = (what: string, s: Sample, extra = '') => rows.push([what, s.serviceMb, s.postgresMb, s.totalMb, extra]);

  let t0 = performance.now();
  const first = await startChildService({}, { keepDataDir: true });
  const firstStartMs = performance.now() - t0;
  const dataDir = first.dataDir;
  await first.waitForAnswer();
  record('first start (new cluster), just listening', sample(first.child.pid!, dataDir));
  // 10,000 trackings, as the API bench has them
  const handle = await openDatabase({ dataDir, maxConnections: 3 });
  await handle.client.unsafe(`insert into tracking (version_control, scm_repo, scm_branch, repo, branch, enabled, next_attempt_at)
    select 'github', 'upstream-' || i || '/p', 'master', 'https://gitee.com/src-openeuler/pkg-' || i, 'master', true, now() + interval '1 day' from generate_series(1, 10000) i`);
  await createProject(handle.db, { linkName: 'bench', listId: BENCH_LIST_ID });
  await handle.close();
  await first.stop();

  // the restart: an existing data directory, the server stopped by the last one out
  t0 = performance.now();
  const service = await startChildService({}, { dataDir, keepDataDir: true });
  const listening = performance.now() - t0;
  await service.waitForAnswer('/tracking');
  const restartMs = performance.now() - t0;
  await sleep(2_000);
  record('idle after a restart', sample(service.child.pid!, dataDir));
  for (let i = 0; i < 20; i++) await fetch(`${service.url}/tracking`).then((r) => r.arrayBuffer());
  await sleep(2_000);
  record('idle after 20 whole-table listings', sample(service.child.pid!, dataDir));

  let ingest: { messages: number; seconds: number; peak: Sample } | undefined;
  if (MESSAGES > 0) {
    const mbox = path.join(benchOutDir(), `ingest-${MESSAGES}.mbox`);
    if (!existsSync(mbox)) await generateArchive(mbox, MESSAGES, makeHistory(3000));
    const started = performance.now();
    const cli = spawn(process.execPath, ['--import', 'tsx', 'cli/patch-tracking.ts', '--config', path.join(dataDir, 'settings.conf'), 'parsearchive', '--json', mbox], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    let out = '';
    cli.stdout.on('data', (d) => (out += d));
    const done = new Promise<void>((resolve, reject) => cli.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`parsearchive exited ${code}: ${out}`)))));
    let peak: Sample = { serviceMb: 0, postgresMb: 0, totalMb: 0, otherMb: 0 };
    let finished = false;
    void done.finally(() => (finished = true)).catch(() => {});
    while (!finished) {
      const s = sample(service.child.pid!, dataDir, cli.pid);
      if (s.totalMb > peak.totalMb) peak = { ...s, otherMb: Math.max(peak.otherMb, s.otherMb) };
      else peak.otherMb = Math.max(peak.otherMb, s.otherMb);
      await sleep(250);
    }
    await done;
    const seconds = (performance.now() - started) / 1000;
    ingest = { messages: MESSAGES, seconds, peak };
    record(`peak during parsearchive of ${MESSAGES} messages`, peak, `parsearchive process ${peak.otherMb.toFixed(0)} MB; ${(MESSAGES / seconds).toFixed(0)} msg/s`);
    await sleep(3_000);
    record('idle after the ingest', sample(service.child.pid!, dataDir));
  }
  await service.stop(true);

  console.log(`\nembedded database: first start ${(firstStartMs / 1000).toFixed(1)} s to listening (a new cluster); restart ${(listening / 1000).toFixed(2)} s to listening, ${(restartMs / 1000).toFixed(2)} s to the first answer of GET /tracking\n`);
  printTable(['moment', 'service RSS MB', 'embedded postgres PSS MB', 'total MB', 'note'], rows);
  writeJson('memory', { firstStartMs, restartListeningMs: listening, restartFirstAnswerMs: restartMs, samples: rows, ingest });
}

await main();
