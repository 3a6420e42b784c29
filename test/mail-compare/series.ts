/**
 * Two versions of one series made with `git format-patch` from a real repository, and the `git range-diff`
 * of the commits they were made from: what every comparison of the stored versions is checked against.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMail } from '../../src/mail/store/mail-store.js';
import { createUpstreamRepo, makeTempDir, type TestRepo } from '../helpers/git-repo.js';

const LIB = ['int a;', 'int b;', 'int c;', 'int one;', 'int two;', 'int three;', 'int four;', 'int five;', 'int six;', ''].join('\n');

export interface TwoVersions {
  upstream: TestRepo;
  /** the mails of v1 then v2 (each: cover letter first) */
  mails(listId: string): IncomingMail[];
  /** `git range-diff` of the commits the two versions were made from */
  rangeDiff: string;
}

/**
 * v1: lib: add d / docs: add notes / lib: rename c. v2 moves the notes first (unchanged), reworks
 * "lib: add d" (message and diff), drops the rename and adds "lib: add e".
 */
export function twoVersions(): TwoVersions {
  const upstream = createUpstreamRepo();
  upstream.commit('lib: grow', { files: { 'src/lib.c': LIB } });
  const base = upstream.head();
  upstream.checkout('v1', true);
  upstream.commit('lib: add d\n\nd is needed by the parser.', { files: { 'src/lib.c': LIB.replace('int c;\n', 'int c;\nint d;\n') } });
  upstream.commit('docs: add notes', { files: { 'NOTES.md': 'Some notes\n' } });
  upstream.commit('lib: rename c', { files: { 'src/lib.c': LIB.replace('int c;\n', 'int cc;\nint d;\n') } });
  upstream.checkout('main');
  upstream.checkout('v2', true);
  upstream.commit('docs: add notes', { files: { 'NOTES.md': 'Some notes\n' } });
  upstream.commit('lib: add d\n\nd is needed by the parser and the lexer.\n\nIt starts at one.', {
    files: { 'src/lib.c': LIB.replace('int c;\n', 'int c;\nint d = 1;\n') },
  });
  upstream.commit('lib: add e', { files: { 'src/lib.c': LIB.replace('int c;\n', 'int c;\nint d = 1;\n').replace('int six;\n', 'int six;\nint e;\n') } });
  upstream.checkout('main');

  const formatted = (range: string, ...extra: string[]) => {
    const out = makeTempDir('pt-fp-');
    upstream.git('format-patch', '--quiet', '--thread', '--cover-letter', '-o', out, ...extra, range);
    return readdirSync(out)
      .sort()
      .map((f) => readFileSync(join(out, f), 'utf8').replace('*** SUBJECT HERE ***', 'lib: small additions'));
  };
  // v1 names its base commit; v2 does not (it applies to the upstream's HEAD)
  const v1 = formatted(`${base}..v1`, `--base=${base}`);
  // both cover letters would get one Message-Id (format-patch derives it from the time): tell them apart
  const v2 = formatted(`${base}..v2`, '-v2').map((text) => text.replaceAll('<cover.', '<cover.v2.'));
  return {
    upstream,
    mails: (listId) => [...v1, ...v2].map((text) => ({ raw: Buffer.from(text), listId })),
    rangeDiff: upstream.git('range-diff', '--no-color', `${base}..v1`, `${base}..v2`),
  };
}

export interface RangeDiffRow {
  older: number | null;
  mark: string;
  newer: number | null;
  /** the diff below a `!` line, unindented */
  interdiff: string | null;
}

/** range-diff's text as rows, read independently of the code under test. */
export function rangeDiffRows(text: string): RangeDiffRow[] {
  const rows: RangeDiffRow[] = [];
  for (const line of text.split('\n')) {
    const m = /^ *(-|\d+): +\S+ ([<>=!]) +(-|\d+): +\S+ /.exec(line);
    if (m) rows.push({ older: m[1] === '-' ? null : Number(m[1]), mark: m[2]!, newer: m[3] === '-' ? null : Number(m[3]), interdiff: m[2] === '!' ? '' : null });
    else if (line.startsWith('    ')) rows.at(-1)!.interdiff += `${line.slice(4)}\n`;
  }
  return rows;
}
