/**
 * Where the CLI reads and writes. The bins use the process; tests pass their own, so most cases run
 * in-process without paying for a child process each.
 */
import { promptHidden } from './prompt.js';

export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
  /** where ./settings.conf and relative --ca / PATCH_TRACKING_CONFIG paths are resolved */
  cwd: string;
  /** whether a password may be asked for interactively */
  stdinIsTTY: boolean;
  /** asks without echo; only called when stdinIsTTY */
  promptPassword: (question: string) => Promise<string>;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    stdinIsTTY: Boolean(process.stdin.isTTY),
    promptPassword: (question) => promptHidden(question, process.stdin, process.stderr),
  };
}
