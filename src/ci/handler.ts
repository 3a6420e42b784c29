import { randomUUID } from 'node:crypto';
import { lstat, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError, errorMessage } from '../errors.js';
import { sendCiEmail, type CiEmailOptions } from './email.js';
import {
  parseResultManifest,
  serializeRequestManifest,
  serializeResultManifest,
  type CiResultManifest,
  type ManifestValue,
} from './manifest.js';
import { runHandlerProcess, type HandlerProcessRun } from './process.js';
import { validateCiRequest, type CiRequest } from './request.js';

/** The subset of pino's logger this module uses. */
export interface CiLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface CiHandlerOptions {
  /** `CI_HANDLER`: the handler program; without one the request is only queued in `dataDir`. */
  handler?: string;
  /** `CI_HANDLER_ARGUMENT` (repeatable), passed before the request directory. */
  handlerArguments: string[];
  /** `CI_HANDLER_TIMEOUT` in milliseconds; 0 means no limit. */
  timeoutMs: number;
  /** `CI_DATA_DIR`: must exist. */
  dataDir: string;
  /** `CI_EMAIL`: notified of every non-simulated request the handler did not fail on. */
  email?: CiEmailOptions;
  logger: CiLogger;
  /** Between SIGTERM and SIGKILL to the handler's process group on timeout (default 5 s). */
  killGraceMs?: number;
}

/** How an HTTP answer should look: a result manifest, or brep's unformatted internal errors. */
export type CiResponseFormat = 'manifest' | 'text' | 'html';

export interface CiResult {
  status: number;
  message: string;
  reference: string;
  /** Further values of the result manifest, in order. */
  values: ManifestValue[];
  /** Where the request directory is now, if it still exists (kept, or saved as `<id>.fail.N`). */
  directory?: string;
  format: CiResponseFormat;
}

export const CI_QUEUED_MESSAGE = 'CI request is queued';
export const CI_INTERNAL_ERROR_MESSAGE = 'CI request submission handling failed';

const MAX_STDOUT_BYTES = 1024 * 1024;
const MAX_STDERR_BYTES = 64 * 1024;
const OUTPUT_DRAIN_MS = 250;
const DEFAULT_KILL_GRACE_MS = 5000;

/**
 * Handles one CI request the way brep does: writes `<dataDir>/<id>/request.manifest` and the patch
 * files, runs the handler with the directory's absolute path, and settles the directory by outcome
 * (4xx: removed; 5xx or handler failure: kept as `<id>.fail.N` with `result.manifest`; otherwise kept
 * with `result.manifest` unless the handler moved it).
 */
export async function runCiRequest(options: CiHandlerOptions, request: CiRequest): Promise<CiResult> {
  validateCiRequest(request);
  const id = randomUUID();
  const log = options.logger;

  if (request.simulate !== undefined) {
    log.info({ ci: id, simulate: request.simulate }, 'simulated CI request');
    if (request.simulate === 'success') return queued(id);
    return { status: 500, message: CI_INTERNAL_ERROR_MESSAGE, reference: id, values: [], format: request.simulate === 'internal-error-html' ? 'html' : 'text' };
  }

  const requestManifest = serializeRequestManifest({
    id,
    repository: request.repository,
    packages: request.packages,
    timestamp: new Date(),
    custom: request.custom,
    ...(request.clientIp !== undefined && { clientIp: request.clientIp }),
    ...(request.userAgent !== undefined && { userAgent: request.userAgent }),
  });
  const directory = await createRequestDirectory(options.dataDir, id, requestManifest, request);
  log.info({ ci: id, directory, repository: request.repository }, 'CI request created');

  if (options.handler === undefined) {
    // brep: the implied result is not saved; the directory is the queue.
    const result = { ...queued(id), directory };
    await notify(options, id, requestManifest, result);
    return result;
  }

  const run = await runHandlerProcess({
    program: options.handler,
    args: [...options.handlerArguments, directory],
    timeoutMs: options.timeoutMs,
    killGraceMs: options.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    maxStdoutBytes: MAX_STDOUT_BYTES,
    maxStderrBytes: MAX_STDERR_BYTES,
    drainMs: OUTPUT_DRAIN_MS,
  });
  logHandlerOutput(log, id, run);

  const outcome = interpret(run, options);
  if ('failure' in outcome) {
    const result: CiResultManifest = { status: 500, message: `CI request handling failed: ${outcome.failure}`, reference: id, values: [] };
    log.error({ ci: id, handler: options.handler }, result.message);
    const saved = await settleDirectory(log, id, directory, result);
    return { status: result.status, message: result.message, reference: id, values: [], ...(saved && { directory: saved }), format: 'manifest' };
  }

  const manifest = outcome.manifest;
  const reference = manifest.reference ?? id;
  const saved = await settleDirectory(log, id, directory, { ...manifest, reference });
  const result: CiResult = { status: manifest.status, message: manifest.message, reference, values: manifest.values, format: 'manifest' };
  if (saved) result.directory = saved;
  log.info({ ci: id, status: result.status, directory: saved }, 'CI handler finished');
  await notify(options, id, requestManifest, result);
  return result;
}

function queued(id: string): CiResult {
  return { status: 200, message: CI_QUEUED_MESSAGE, reference: id, values: [], format: 'manifest' };
}

async function createRequestDirectory(dataDir: string, id: string, requestManifest: string, request: CiRequest): Promise<string> {
  const root = path.resolve(dataDir);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new AppError('ci_data_dir_missing', `CI data directory '${root}' does not exist`, { field: 'CI_DATA_DIR' });
  }
  const directory = path.join(root, id);
  await mkdir(directory); // fails if the uuid somehow exists already
  try {
    await writeFile(path.join(directory, 'request.manifest'), requestManifest);
    for (const file of request.files) await writeFile(path.join(directory, file.name), file.content);
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  return directory;
}

// Returns why the run counts as failed (non-zero exit, signal, timeout, unusable output) or the parsed result.
function interpret(run: HandlerProcessRun, options: CiHandlerOptions): { failure: string } | { manifest: CiResultManifest } {
  if (run.spawnError) {
    const code = (run.spawnError as NodeJS.ErrnoException).code ?? printable(run.spawnError.message);
    return { failure: `unable to execute the handler (${code})` };
  }
  if (run.timedOut) return { failure: `the handler did not finish within ${options.timeoutMs} ms and was killed` };
  if (run.signal) return { failure: `the handler was terminated by signal ${run.signal}` };
  if (run.exitCode !== 0) return { failure: `the handler exited with code ${run.exitCode}` };
  if (run.stdoutTruncated) return { failure: `the handler wrote more than ${MAX_STDOUT_BYTES} bytes to stdout` };
  try {
    return { manifest: parseResultManifest(run.stdout) };
  } catch (err) {
    return { failure: `the handler's output is not a valid result manifest: ${printable(errorMessage(err))}` };
  }
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

function logHandlerOutput(log: CiLogger, id: string, run: HandlerProcessRun): void {
  if (run.stderr !== '') log.warn({ ci: id, stderr: run.stderr, truncated: run.stderrTruncated }, 'CI handler stderr');
  if (run.outputLeftOpen) log.warn({ ci: id }, "CI handler's output was still open after it exited (a child still running?)");
}

// The handler owns the directory and may have moved or removed it; settle it only if it is still there.
async function settleDirectory(log: CiLogger, id: string, directory: string, result: CiResultManifest): Promise<string | undefined> {
  const info = await lstat(directory).catch(() => undefined);
  if (!info?.isDirectory()) return undefined;
  if (result.status >= 400 && result.status < 500) {
    await rm(directory, { recursive: true, force: true });
    return undefined;
  }
  try {
    await writeFile(path.join(directory, 'result.manifest'), serializeResultManifest(result));
  } catch (err) {
    // As brep: failing to stash the result does not make the request fail.
    log.error({ ci: id, err: errorMessage(err) }, 'unable to save result.manifest');
  }
  if (result.status < 500) return directory;
  try {
    return await renameToFail(directory);
  } catch (err) {
    log.error({ ci: id, err: errorMessage(err) }, 'unable to save the failed CI request directory');
    return directory;
  }
}

async function renameToFail(directory: string): Promise<string> {
  for (let n = 0; ; n++) {
    const target = `${directory}.fail.${n}`;
    // rename(2) would replace an empty directory, so only take a name nothing has.
    if (await lstat(target).then(() => true, () => false)) continue;
    await rename(directory, target);
    return target;
  }
}

async function notify(options: CiHandlerOptions, id: string, requestManifest: string, result: CiResult): Promise<void> {
  if (!options.email) return;
  const body = `${requestManifest}\n\n${serializeResultManifest(result)}`;
  try {
    await sendCiEmail(options.email, `CI request submission (${result.reference})`, body, options.timeoutMs || 30_000);
  } catch (err) {
    // As brep: the request is persisted and handled; a lost email is only logged.
    options.logger.error({ ci: id, err: errorMessage(err) }, 'unable to send the CI request email');
  }
}
