import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMbox } from '../../src/mail/mbox.js';

/** Patchwork's conformance corpus, carried in the repository (test/fixtures/patchwork/SOURCE.md says where it came from). */
export const CORPUS = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/patchwork');
export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/mail');

export interface GoldenMessage {
  msgid: string | null;
  name: string;
  prefixes: string[];
  series_marker: [number | null, number | null];
  version: number;
  is_comment: boolean;
  refs: string[];
  has_diff: boolean;
  diff_len: number;
  diff_first_line: string | null;
  hash: string | null;
  filenames: string[];
  pull_url: string | null;
  content_len: number;
  from: [string | null, string];
  class: string;
}

export interface HashVector {
  file: string;
  index: number;
  diff: string;
  hash: string;
}

export const golden: Record<string, GoldenMessage[]> = JSON.parse(readFileSync(resolve(CORPUS, 'golden.json'), 'utf8'));
export const hashVectors: HashVector[] = JSON.parse(readFileSync(resolve(CORPUS, 'hash-vectors.json'), 'utf8'));

/** The messages of a corpus file: `mail/*` are single RFC 822 messages, `series/*` are mboxes. */
export async function corpusMessages(file: string): Promise<Buffer[]> {
  const path = resolve(CORPUS, file);
  if (file.startsWith('mail/')) return [readFileSync(path)];
  const out: Buffer[] = [];
  for await (const m of readMbox(path)) out.push(m.raw);
  return out;
}

export function fixture(name: string): Buffer {
  return readFileSync(resolve(FIXTURES, name));
}

/** README.fixtures.md: [covers, patches, other] counts, then patches (and covers) per series ordered by date. */
export const SERIES_EXPECTATIONS: Record<string, { counts: [number, number, number]; patches: number[]; covers?: number[]; receivedAll?: boolean[] }> = {
  'base-single-patch.mbox': { counts: [0, 1, 0], patches: [1] },
  'base-cover-letter.mbox': { counts: [1, 2, 0], patches: [2], covers: [1], receivedAll: [true] },
  'base-deep-threaded.mbox': { counts: [1, 2, 0], patches: [2], covers: [1] },
  'base-out-of-order.mbox': { counts: [1, 2, 0], patches: [2], covers: [1] },
  'base-different-versions.mbox': { counts: [1, 4, 0], patches: [4], covers: [1] },
  'base-extra-patches.mbox': { counts: [1, 3, 0], patches: [3], receivedAll: [true] },
  'base-incomplete.mbox': { counts: [1, 1, 0], patches: [1], receivedAll: [false] },
  'base-no-cover-letter.mbox': { counts: [0, 2, 0], patches: [2] },
  'base-no-references.mbox': { counts: [0, 2, 0], patches: [2] },
  'base-no-references-no-cover.mbox': { counts: [1, 2, 0], patches: [2], covers: [1] },
  'bugs-multiple-references.mbox': { counts: [1, 4, 0], patches: [4] },
  'bugs-multiple-content-types.mbox': { counts: [0, 1, 1], patches: [1] },
  'bugs-unnumbered.mbox': { counts: [1, 2, 0], patches: [1, 1], covers: [1, 0] },
  'bugs-nocover-noversion.mbox': { counts: [0, 4, 0], patches: [2, 2] },
  'bugs-nocover.mbox': { counts: [0, 4, 0], patches: [2, 2] },
  'bugs-spamming.mbox': { counts: [0, 3, 0], patches: [1, 1, 1] },
  'bugs-mixed-versions.mbox': { counts: [0, 2, 0], patches: [1, 1] },
  'revision-basic.mbox': { counts: [2, 4, 0], patches: [2, 2], covers: [1, 1] },
  'revision-threaded-to-cover.mbox': { counts: [2, 4, 0], patches: [2, 2] },
  'revision-threaded-to-patch.mbox': { counts: [2, 4, 0], patches: [2, 2] },
  'revision-threaded-to-single-patch.mbox': { counts: [0, 2, 0], patches: [1, 1] },
  'revision-out-of-order.mbox': { counts: [2, 4, 0], patches: [2, 2] },
  'revision-no-cover-letter.mbox': { counts: [1, 4, 0], patches: [2, 2], covers: [1, 0] },
  'revision-unlabeled.mbox': { counts: [2, 4, 0], patches: [2, 2] },
  'revision-unlabeled-noreferences.mbox': { counts: [0, 4, 0], patches: [2, 2] },
  'mercurial-cover-letter.mbox': { counts: [1, 2, 0], patches: [2], covers: [1] },
  'mercurial-no-cover-letter.mbox': { counts: [0, 2, 0], patches: [2] },
  'dependency-base-patch.mbox': { counts: [1, 2, 0], patches: [2], covers: [1] },
};
