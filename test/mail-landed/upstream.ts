/**
 * A contributor's series posted to a list (real `git format-patch` mails), and the upstream repository they
 * are later applied to: unchanged with `git am`, or re-typed by the maintainer with a small fix.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMail } from '../../src/mail/store/mail-store.js';
import { createUpstreamRepo, GIT, makeTempDir, testGitEnv, type TestRepo } from '../helpers/git-repo.js';

export const CONTRIBUTOR = { name: 'Cora Contributor', email: 'cora@contrib.example' };
const LIB = ['int a;', 'int b;', 'int c;', 'int one;', 'int two;', 'int three;', ''].join('\n');
const DOC = '# Notes\n\nThis is teh manual.\n';

export interface Posted {
  upstream: TestRepo;
  /** the series (cover letter + 2 patches), then one lone patch B (typo fix), then one lone patch C */
  mails(listId: string): IncomingMail[];
  /** the patch files of each posting, by name */
  files: { series: string[]; typo: string; dropB: string };
  /** the `git patch-id --stable` of each contributor commit, by subject */
  patchIds: Record<string, string>;
}

export function postSeries(): Posted {
  const upstream = createUpstreamRepo();
  upstream.commit('lib: grow', { files: { 'src/lib.c': LIB, 'doc/notes.md': DOC } });
  const base = upstream.head();
  upstream.checkout('topic', true);
  const author = { author: CONTRIBUTOR };
  upstream.commit('lib: add d\n\nd is needed by the parser.', { ...author, files: { 'src/lib.c': LIB.replace('int c;\n', 'int c;\nint d;\n') } });
  upstream.commit('lib: add e', { ...author, files: { 'src/lib.c': LIB.replace('int c;\n', 'int c;\nint d;\n').replace('int three;\n', 'int three;\nint e;\n') } });
  const seriesTip = upstream.head();
  upstream.commit('doc: fix a typo', { ...author, files: { 'doc/notes.md': DOC.replace('teh', 'the') } });
  const typo = upstream.head();
  upstream.commit('lib: drop b', { ...author, files: { 'src/lib.c': LIB.replace('int c;\n', 'int c;\nint d;\n').replace('int three;\n', 'int three;\nint e;\n').replace('int b;\n', '') } });
  const dropB = upstream.head();
  upstream.checkout('main');

  const out = makeTempDir('pt-landed-fp-');
  const format = (dir: string, ...args: string[]) => {
    const target = join(out, dir);
    upstream.git('format-patch', '--quiet', '--thread', '-o', target, ...args);
    return readdirSync(target)
      .sort()
      .map((f) => join(target, f));
  };
  const series = format('series', '--cover-letter', `${base}..${seriesTip}`);
  for (const f of series) writeFileSync(f, readFileSync(f, 'utf8').replace('*** SUBJECT HERE ***', 'lib: d and e'));
  const [typoFile] = format('typo', '-1', typo);
  const [dropBFile] = format('dropb', '-1', dropB);
  const patchIds = Object.fromEntries(patchIdLines(upstream, `${base}..topic`).map((l) => [l.subject, l.id]));
  return {
    upstream,
    files: { series, typo: typoFile!, dropB: dropBFile! },
    patchIds,
    mails: (listId) => [...series, typoFile!, dropBFile!].map((f) => ({ raw: readFileSync(f), listId })),
  };
}

/** The patch-ids git computes for the commits of a range, by subject: the reference the stored ids are checked against. */
function patchIdLines(repo: TestRepo, range: string): Array<{ subject: string; id: string }> {
  const subjects = new Map(
    repo
      .git('log', '--format=%H %s', range)
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, 40), l.slice(41)] as const),
  );
  const ids = execGit(repo, ['patch-id', '--stable'], repo.gitBuffer('log', '-p', range));
  return ids
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([id, sha]) => ({ subject: subjects.get(sha!)!, id: id! }));
}

function execGit(repo: TestRepo, args: string[], input: Buffer): string {
  return execFileSync(GIT, args, { cwd: repo.dir, env: testGitEnv, input }).toString('utf8');
}

/** The maintainer applies patch files on the upstream's main branch with `git am`; returns the new commits, oldest first. */
export function applyWithAm(upstream: TestRepo, files: string[]): string[] {
  const before = upstream.head();
  upstream.git('am', '--quiet', ...files);
  return upstream.git('rev-list', '--reverse', `${before}..HEAD`).trim().split('\n');
}

export { DOC };
