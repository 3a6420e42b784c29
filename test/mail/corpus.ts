import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMbox } from '../../src/mail/mbox.js';

/** Patchwork's conformance corpus, shared by all checkouts: ../shared/corpus/patchwork from the repo root. */
export const CORPUS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/corpus/patchwork');
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
