/**
 * Reads the messages of a public-inbox v2 epoch: each commit holds one message as the blob `m`; a commit
 * without `m` records a deletion and is skipped. One `git cat-file --batch` for all of them (not one
 * process per message).
 */
import { spawn } from 'node:child_process';
import { FIXED_CONFIG, gitEnv, runGitOk, type GitRunOptions } from '../../sources/git-run.js';

export interface EpochMessage {
  commit: string;
  /** null: the commit deletes a message */
  raw: Buffer | null;
}

/** Commits after `since` up to `head`, oldest first (all of them when `since` is null). */
export async function newCommits(options: GitRunOptions, since: string | null, head: string): Promise<string[]> {
  const out = await runGitOk(['rev-list', '--reverse', since ? `${since}..${head}` : head, '--'], options);
  return out.toString('utf8').split('\n').filter((l) => l !== '');
}

/** The message of each commit, in the order given. */
export async function* readMessages(options: GitRunOptions, commits: string[]): AsyncGenerator<EpochMessage> {
  if (!commits.length) return;
  const child = spawn(options.gitBinary, [...FIXED_CONFIG, 'cat-file', '--batch'], {
    cwd: options.cwd,
    env: gitEnv(process.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  child.stdin.on('error', () => undefined);
  // written in the background: git answers while it reads, and the pipe holds only so much
  void (async () => {
    for (const c of commits) {
      if (!child.stdin.write(`${c}:m\n`)) await new Promise((r) => child.stdin.once('drain', r));
    }
    child.stdin.end();
  })();

  let buf: Buffer = Buffer.alloc(0);
  let index = 0;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        const nl = buf.indexOf(10);
        if (nl < 0) break;
        const header = buf.subarray(0, nl).toString('utf8');
        if (header.endsWith(' missing')) {
          yield { commit: commits[index++]!, raw: null };
          buf = buf.subarray(nl + 1);
          continue;
        }
        const size = Number(header.split(' ')[2]);
        if (!Number.isSafeInteger(size)) throw new Error(`git cat-file answered ${JSON.stringify(header)}`);
        if (buf.length < nl + 1 + size + 1) break;
        yield { commit: commits[index++]!, raw: Buffer.from(buf.subarray(nl + 1, nl + 1 + size)) };
        buf = buf.subarray(nl + 1 + size + 1);
      }
    }
  } finally {
    if (index < commits.length) child.kill();
  }
  const code = await exited;
  if (index < commits.length) {
    throw new Error(`git cat-file stopped after ${index} of ${commits.length} messages (exit ${code}): ${Buffer.concat(stderr).toString('utf8').trim()}`);
  }
}
