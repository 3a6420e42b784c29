import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface HandlerProcessOptions {
  program: string;
  args: readonly string[];
  /** 0 means no limit. */
  timeoutMs: number;
  /** Time between SIGTERM and SIGKILL to the process group after a timeout. */
  killGraceMs: number;
  maxStdoutBytes: number;
  maxStderrBytes: number;
  /** After the handler exits, how long to wait for its stdout/stderr to close (a child may hold them). */
  drainMs: number;
}

export interface HandlerProcessRun {
  stdout: string;
  stdoutTruncated: boolean;
  stderr: string;
  stderrTruncated: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The program could not be started at all (ENOENT, EACCES, …). */
  spawnError?: Error;
  /** stdout/stderr were still open after the handler exited (a background child inherited them). */
  outputLeftOpen: boolean;
}

interface Capture {
  chunks: Buffer[];
  bytes: number;
  truncated: boolean;
  ended: Promise<void>;
}

function capture(stream: Readable, limit: number): Capture {
  const c: Capture = { chunks: [], bytes: 0, truncated: false, ended: Promise.resolve() };
  c.ended = new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      const room = limit - c.bytes;
      if (room <= 0) {
        c.truncated = true;
        return;
      }
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      if (kept.length < chunk.length) c.truncated = true;
      c.chunks.push(kept);
      c.bytes += kept.length;
    });
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', () => resolve());
  });
  return c;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: nothing left in the group
  }
}

// SIGTERM the whole group, give it the grace period, then SIGKILL whatever is left (children that trap TERM).
async function killGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(Math.min(25, Math.max(1, deadline - Date.now())));
    if (!signalGroup(pgid, 0)) return;
  }
  signalGroup(pgid, 'SIGKILL');
}

/**
 * Runs the handler in its own process group (so a timeout can take down everything it started),
 * collecting bounded stdout and stderr.
 */
export async function runHandlerProcess(o: HandlerProcessOptions): Promise<HandlerProcessRun> {
  const child = spawn(o.program, [...o.args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = capture(child.stdout, o.maxStdoutBytes);
  const err = capture(child.stderr, o.maxStderrBytes);

  let timedOut = false;
  let killing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const finished = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.on('error', (error) => {
      if (child.pid === undefined) resolve({ code: null, signal: null, error });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
    const pid = child.pid;
    if (pid !== undefined && o.timeoutMs > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        killing = killGroup(pid, o.killGraceMs);
      }, o.timeoutMs);
    }
  });
  if (timer) clearTimeout(timer);
  if (killing) await killing;

  let outputLeftOpen = false;
  const drained = await Promise.race([
    Promise.all([out.ended, err.ended]).then(() => true),
    sleep(o.drainMs).then(() => false),
  ]);
  if (!drained) {
    outputLeftOpen = true;
    child.stdout.destroy();
    child.stderr.destroy();
  }

  const run: HandlerProcessRun = {
    stdout: Buffer.concat(out.chunks).toString('utf8'),
    stdoutTruncated: out.truncated,
    stderr: Buffer.concat(err.chunks).toString('utf8'),
    stderrTruncated: err.truncated,
    exitCode: finished.code,
    signal: finished.signal,
    timedOut,
    outputLeftOpen,
  };
  if (finished.error) run.spawnError = finished.error;
  return run;
}
