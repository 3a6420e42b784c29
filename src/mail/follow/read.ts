/**
 * Reads the messages of a public-inbox repository. In a v2 epoch each commit holds one message as the blob
 * `m`; a commit without `m` records a deletion. In a v1 inbox each commit adds the message as a file named
 * after its Message-ID's SHA-1 (`ab/cdef…`); a commit that only removes one is a deletion. One
 * `git cat-file --batch` for all of them (not one process per message).
 */
import { spawn } from 'node:child_process';
import { FIXED_CONFIG, gitEnv, runGitOk, type GitRunOptions } from '../../sources/git-run.js';

/** A message to read: the object naming its blob, in the commit that added it (one per commit but in v1). */
export interface MessageRef {
  commit: string;
  /** what `git cat-file` reads; null: the commit only deletes (nothing to read) */
  object: string | null;
}

export interface EpochMessage {
  commit: string;
  /** null: the commit deletes or purges a message */
  raw: Buffer | null;
}

export type InboxFormat = 'v1' | 'v2';

/** The messages added after `since` up to `head`, oldest first (the whole history when `since` is null). */
export async function newMessages(options: GitRunOptions, format: InboxFormat, since: string | null, head: string): Promise<MessageRef[]> {
  const range = since ? `${since}..${head}` : head;
  if (format === 'v2') {
    const out = await runGitOk(['rev-list', '--reverse', range, '--'], options);
    return out.toString('utf8').split('\n').filter((l) => l !== '').map((commit) => ({ commit, object: `${commit}:m` }));
  }
  // v1: the blobs each commit adds or changes (an edit in place is a new copy; the store keeps the first)
  const out = await runGitOk(['log', '--reverse', '--no-renames', '--raw', '--no-abbrev', '--format=%x00%H', range, '--'], options);
  const refs: MessageRef[] = [];
  for (const block of out.toString('utf8').split('\0').slice(1)) {
    const [commit, ...lines] = block.split('\n');
    const before = refs.length;
    for (const line of lines) {
      // :100644 100644 <old> <new> M\tab/cdef…
      const m = /^:\d+ \d+ [0-9a-f]+ ([0-9a-f]+) [AM]\t/.exec(line);
      if (m) refs.push({ commit: commit!, object: m[1]! });
    }
    if (refs.length === before) refs.push({ commit: commit!, object: null });
  }
  return refs;
}

/** How many of `refs` hold a message (a deletion or a purged, empty blob does not), without reading them. */
export async function countMessages(options: GitRunOptions, refs: MessageRef[]): Promise<number> {
  const asked = refs.filter((r) => r.object !== null);
  if (!asked.length) return 0;
  const out = await runGitOk(['cat-file', '--batch-check=%(objectsize)'], { ...options, stdin: Buffer.from(asked.map((r) => `${r.object}\n`).join('')) });
  return out.toString('utf8').split('\n').filter((l) => /^[1-9]\d*$/.test(l)).length;
}

/** The message of each ref, in the order given. */
export async function* readMessages(options: GitRunOptions, refs: MessageRef[]): AsyncGenerator<EpochMessage> {
  if (!refs.length) return;
  const asked = refs.filter((r) => r.object !== null);
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
    for (const r of asked) {
      if (!child.stdin.write(`${r.object}\n`)) await new Promise((res) => child.stdin.once('drain', res));
    }
    child.stdin.end();
  })();

  let buf: Buffer = Buffer.alloc(0);
  let index = 0;
  // deletions not asked of git are yielded in their place, before the next answer
  function* deletions(): Generator<EpochMessage> {
    while (index < refs.length && refs[index]!.object === null) yield { commit: refs[index++]!.commit, raw: null };
  }
  try {
    yield* deletions();
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        const nl = buf.indexOf(10);
        if (nl < 0) break;
        const header = buf.subarray(0, nl).toString('utf8');
        if (header.endsWith(' missing')) {
          yield { commit: refs[index++]!.commit, raw: null };
          buf = buf.subarray(nl + 1);
          yield* deletions();
          continue;
        }
        const size = Number(header.split(' ')[2]);
        if (!Number.isSafeInteger(size)) throw new Error(`git cat-file answered ${JSON.stringify(header)}`);
        if (buf.length < nl + 1 + size + 1) break;
        // an empty blob is what public-inbox-purge leaves in place of a purged message
        yield { commit: refs[index++]!.commit, raw: size ? Buffer.from(buf.subarray(nl + 1, nl + 1 + size)) : null };
        buf = buf.subarray(nl + 1 + size + 1);
        yield* deletions();
      }
    }
  } finally {
    if (index < refs.length) child.kill();
  }
  const code = await exited;
  if (index < refs.length) {
    throw new Error(`git cat-file stopped after ${index} of ${refs.length} messages (exit ${code}): ${Buffer.concat(stderr).toString('utf8').trim()}`);
  }
}
