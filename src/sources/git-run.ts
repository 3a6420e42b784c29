import { spawn } from 'node:child_process';
import { AppError } from '../errors.js';
import { redactSecrets } from '../log.js';
import { ALLOWED_GIT_PROTOCOLS } from './git-url.js';
import type { GitAccess } from './upstream-policy.js';

export interface GitRunOptions {
  gitBinary: string;
  timeoutMs: number;
  cwd?: string;
  /** sent as `http.extraHeader` through the environment, never on the command line */
  authorization?: string;
  /** bytes for git's standard input (e.g. `git patch-id`, which reads nothing else); empty when absent */
  stdin?: Buffer;
  /** for a command that reaches a user's upstream: what the upstream policy allows (upstream-policy.ts) */
  access?: GitAccess;
  /** a temporary index (GIT_INDEX_FILE): `read-tree` and `apply --cached` against a tree, no working tree needed */
  indexFile?: string;
}

export interface GitResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

/** A git command that failed; its message and stderr are already free of credentials. */
export class GitCommandError extends AppError {
  constructor(
    readonly exitCode: number | null,
    readonly stderr: string,
    message: string,
    code = 'git_failed',
  ) {
    super(code, message);
  }
}

/**
 * Flags every git call gets: deterministic output whatever the machine's git config says
 * (no pager, no quoting of non-ASCII paths, no automatic gc racing with readers of the mirror).
 */
export const FIXED_CONFIG = [
  '-c', 'core.quotepath=off',
  '-c', 'core.pager=cat',
  '-c', 'gc.auto=0',
  '-c', 'maintenance.auto=false',
  '-c', 'advice.detachedHead=false',
];

/**
 * The environment git runs in: never prompts (a prompt would hang the scan), only the allowed
 * transports, and no system/global config (a user's `diff.noprefix` or `format.signature` would
 * silently change the patch files).
 */
export function gitEnv(base: NodeJS.ProcessEnv = process.env, authorization?: string, protocols = ALLOWED_GIT_PROTOCOLS): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ALLOW_PROTOCOL: protocols,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ASKPASS: 'true',
    LC_ALL: 'C',
    LANG: 'C',
  };
  delete env.GIT_DIR;
  delete env.GIT_WORK_TREE;
  delete env.GIT_INDEX_FILE;
  delete env.GIT_CONFIG_PARAMETERS;
  delete env.GIT_CONFIG_COUNT;
  if (authorization !== undefined) {
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
    env.GIT_CONFIG_VALUE_0 = `Authorization: ${authorization}`;
  }
  if (env.GIT_SSH_COMMAND === undefined && env.GIT_SSH === undefined) {
    env.GIT_SSH_COMMAND = 'ssh -o BatchMode=yes';
  }
  return env;
}

/**
 * Runs git and resolves with its output whatever the exit code (callers decide what a non-zero exit
 * means, e.g. `merge-base --is-ancestor` answers with 1). Rejects only on timeout or spawn failure.
 * The whole process group is killed on timeout so transport helpers (ssh, git-remote-https) die too.
 */
export function runGit(args: string[], options: GitRunOptions): Promise<GitResult> {
  const fullArgs = [...FIXED_CONFIG, ...(options.access?.config ?? []).flatMap((c) => ['-c', c]), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(options.gitBinary, fullArgs, {
      cwd: options.cwd,
      env: { ...gitEnv(process.env, options.authorization, options.access?.protocols), ...options.access?.env, ...(options.indexFile ? { GIT_INDEX_FILE: options.indexFile } : {}) },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    // git may exit before reading all of it (a bad argument): that EPIPE is not the answer, its exit code is
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(
        new GitCommandError(null, '', `could not run git (${options.gitBinary}): ${redactSecrets(e.message)}`, 'git_unavailable'),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = redactSecrets(Buffer.concat(err).toString('utf8')).trim();
      if (timedOut) {
        reject(
          new GitCommandError(
            null,
            stderr,
            `git ${describe(args)} timed out after ${Math.round(options.timeoutMs / 1000)} s`,
            'git_timeout',
          ),
        );
        return;
      }
      resolve({ stdout: Buffer.concat(out), stderr, exitCode: code ?? (signal ? 128 : 1) });
    });
  });
}

/** Like runGit, but a non-zero exit is an error carrying git's own (redacted) explanation. */
export async function runGitOk(args: string[], options: GitRunOptions): Promise<Buffer> {
  const result = await runGit(args, options);
  if (result.exitCode !== 0) {
    throw new GitCommandError(result.exitCode, result.stderr, `git ${describe(args)} failed: ${lastLines(result.stderr)}`);
  }
  return result.stdout;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The subcommand and its arguments, credentials redacted: enough to tell which step failed. */
function describe(args: string[]): string {
  const text = redactSecrets(args.filter((a) => a !== '--quiet' && !a.startsWith('--no-')).join(' '));
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

function lastLines(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  return lines.slice(-3).join(' / ') || 'no error output';
}
