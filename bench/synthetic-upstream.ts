/**
 * A synthetic upstream repository for the benches that read upstream history (bench:match, bench:upstreamed):
 * N commits, each appending one line to one of 200 files, by one of `authors` authors, a minute apart, written
 * in one `git fast-import`.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const FILES = 200;
/** the first synthetic commit's time (commit i is i minutes later) */
export const START = Date.UTC(2026, 0, 1) / 1000;
const gitEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

/** git in `cwd` with no user or system configuration, its output as a Buffer */
export const benchGit = (cwd: string, args: string[], input?: string | Buffer): Buffer => execFileSync('git', args, { cwd, env: gitEnv, input, maxBuffer: 1 << 30 });

/** Commit i's author is `Dev <i % authors>` (or plain `Dev` for one author), at START + i minutes. */
export function buildSyntheticUpstream(dir: string, options: { commits: number; authors: number }): void {
  mkdirSync(dir, { recursive: true });
  benchGit(dir, ['init', '--quiet', '-b', 'main', '.']);
  // the stream goes through a file: at 100,000 commits it is larger than the longest string V8 can hold
  const stream = join(dir, '.git', 'synthetic.fast-import');
  const out = openSync(stream, 'w');
  try {
    const files: string[][] = Array.from({ length: FILES }, (_, f) => [`/* file ${f} */`]);
    for (let i = 0; i < options.commits; i++) {
      const f = (i * 7) % FILES;
      files[f]!.push(`int value_${i} = ${i};`);
      const content = `${files[f]!.join('\n')}\n`;
      const message = `area${f}: add value ${i}\n`;
      const author = options.authors === 1 ? 'Dev <dev@example.org>' : `Dev ${i % options.authors} <dev${i % options.authors}@example.org>`;
      const who = `${author} ${START + i * 60} +0000`;
      writeSync(
        out,
        `commit refs/heads/main\nauthor ${who}\ncommitter ${who}\ndata ${Buffer.byteLength(message)}\n${message}` +
          `M 100644 inline src/file${f}.c\ndata ${Buffer.byteLength(content)}\n${content}\n`,
      );
    }
  } finally {
    closeSync(out);
  }
  const input = openSync(stream, 'r');
  try {
    execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, env: gitEnv, stdio: [input, 'ignore', 'inherit'] });
  } finally {
    closeSync(input);
    rmSync(stream);
  }
}
