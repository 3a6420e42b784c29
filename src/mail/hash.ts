import { createHash } from 'node:crypto';

const HUNK = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/;
const FILENAME = /^(---|\+\+\+) (\S+)/;

/**
 * The Patchwork patch hash (patchwork/hasher.py hash_diff): SHA-1 over the diff's file, hunk-size and
 * content lines, with line numbers and the first path component removed, so the same change hashes the
 * same wherever it applies. Identical to Patchwork for every vector of the corpus's hash-vectors.json.
 */
export function hashDiff(diff: string): string {
  const h = createHash('sha1');
  const text = diff.replace(/\r/g, '').trim() + '\n';
  for (let line of text.split('\n')) {
    if (line.length === 0) continue;
    const f = FILENAME.exec(line);
    if (f) {
      line = `${f[1]} ${f[1] === '---' ? 'a/' : 'b/'}${f[2]!.split('/').slice(1).join('/')}`;
    } else {
      const m = HUNK.exec(line);
      if (m) {
        line = `@@ -${m[1] ? Number(m[1]) : 1} +${m[2] ? Number(m[2]) : 1} @@`;
      } else {
        const c = line[0];
        if (c !== '-' && c !== '+' && c !== ' ') continue;
      }
    }
    h.update(line + '\n', 'utf8');
  }
  return h.digest('hex');
}
