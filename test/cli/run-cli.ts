/**
 * Running patch-tracking-cli in tests: in-process through `run(argv, io)` (fast, for most cases) or as a
 * real child process through tsx (for the bins, exit codes and the process's own stdio).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../../cli/client/io.js';
import { run } from '../../cli/client/program.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A folder that does not exist as the CLI's cwd, so no stray ./settings.conf changes what is trusted. */
const isolatedCwd = path.join(tmpdir(), 'pt-cli-no-such-dir');

export async function cli(argv: string[], overrides: Partial<CliIo> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    cwd: isolatedCwd,
    stdinIsTTY: false,
    promptPassword: async () => {
      throw new Error('the CLI asked for a password although stdin is not a terminal');
    },
    ...overrides,
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The bin as a user runs it (through tsx, from the repository root). */
export function cliProcess(script: 'patch-tracking-cli' | 'generate-password', argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join('cli', `${script}.ts`), ...argv],
      // a minimal environment: nothing of the developer's PATCH_TRACKING_* leaks in
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Builds dist/ (what the commands on the PATH and npx run) when a source is newer than the build. */
export function ensureBuilt(): void {
  const built = path.join(REPO_ROOT, 'dist', 'cli', 'patch-tracking-cli.js');
  const sources = Math.max(newestSourceMtime(path.join(REPO_ROOT, 'src')), newestSourceMtime(path.join(REPO_ROOT, 'cli')));
  if (!existsSync(built) || sources > statSync(built).mtimeMs) {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'ignore', timeout: 280_000 });
  }
}
