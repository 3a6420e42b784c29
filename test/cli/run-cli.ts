/**
 * Running patch-tracking-cli in tests: in-process through `run(argv, io)` (fast, for most cases) or as a
 * real child process through tsx (for the bins, exit codes and the process's own stdio).
 */
import { execFile } from 'node:child_process';
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
