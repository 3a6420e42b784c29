/**
 * Splitting a mail body into commentary and diff: Patchwork's parse_patch state machine (git, hg, svn,
 * CVS `Index:` diffs, renames, mode changes), with fixes for its known bugs (see the README's "Where the mail parser differs from Patchwork"):
 * - a commit-message line starting with `diff ` no longer swallows the message up to the real diff;
 * - `GIT binary patch` data is kept in the diff, and the next file's headers too;
 * - a `--interdiff` section (cover letters) is reported apart, not taken as the patch.
 */

const HUNK = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/;

// git's extended header lines (https://git-scm.com/docs/git-diff#_generating_patches_with_p)
const EXTENDED_HEADER_LINES = [
  'old mode ',
  'new mode ',
  'deleted file mode ',
  'new file mode ',
  'copy from ',
  'copy to ',
  'rename from ',
  'rename to ',
  'similarity index ',
  'dissimilarity index ',
  'index ',
];

function isExtendedHeader(line: string): boolean {
  for (const p of EXTENDED_HEADER_LINES) if (line.startsWith(p)) return true;
  return false;
}

/** Lines that may sit between a `diff`/`Index:` line and the `---` line of one file's diff. */
function isDiffHeaderLine(line: string): boolean {
  return (
    line.startsWith('--- ') ||
    isExtendedHeader(line) ||
    line.startsWith('diff ') ||
    line.startsWith('Index: ') ||
    /^={5,}\s*$/.test(line) ||
    line.startsWith('RCS file: ') ||
    line.startsWith('retrieving revision ') ||
    line.startsWith('Binary files ') ||
    line.startsWith('GIT binary patch')
  );
}

const BINARY_LINE = /^(?:(?:literal|delta) \d+|[A-Za-z][0-9A-Za-z!#$%&()*+\-;<=>?@^_`{|}~]*|)$/;
const INTERDIFF = /^Interdiff(?: against [^:]*)?:\s*$/;

export interface PatchSplit {
  diff: string | null;
  comment: string | null;
  /** a `git format-patch --interdiff` section, kept out of `diff` */
  interdiff: string | null;
}

/** Split one text part into diff and comment. `content` has LF line endings. */
export function parsePatch(content: string): PatchSplit {
  let patchbuf = '';
  let commentbuf = '';
  let interdiffbuf = '';
  let buf = '';
  let inInterdiff = false;
  let interdiffHasDiff = false;
  // 0 text, 1 suspected header, 2 `---` seen, 3 `+++` seen (or a hunk ended), 4/5 in a hunk,
  // 6 extended header lines, 7 GIT binary patch data
  let state = 0;
  let lc: [number, number] = [0, 0];
  let hunk = 0;

  const emit = (text: string): void => {
    if (inInterdiff) {
      interdiffbuf += text;
      commentbuf += text;
      interdiffHasDiff = true;
    } else patchbuf += text;
  };
  const toComment = (text: string): void => {
    commentbuf += text;
  };
  // the held header lines (`buf`) were a diff after all: they go into it with `text`
  const emitHeld = (text: string): void => {
    emit(buf + text);
    buf = '';
  };
  // a line that may start (or continue) a file's diff is held until the diff is sure
  const hold = (line: string, next: number): void => {
    buf += line;
    state = next;
  };
  // not a diff (any more): the held lines and `line` go back to the comment, read as text from here
  const giveBack = (line: string): void => {
    toComment(buf + line);
    buf = '';
    state = 0;
  };
  const startHunk = (m: RegExpExecArray, line: string): void => {
    // an omitted line count is 1
    lc = [m[1] === undefined || m[1] === '' ? 1 : Number(m[1]), m[2] === undefined || m[2] === '' ? 1 : Number(m[2])];
    emitHeld(line);
    state = 4;
  };

  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] + '\n';
    let again = true;
    while (again) {
      again = false;
      switch (state) {
        case 0:
          if (line.startsWith('diff ') || line.startsWith('Index: ')) {
            hold(line, 1);
          } else if (line.startsWith('--- ')) {
            hold(line, 2);
          } else {
            if (inInterdiff && interdiffHasDiff) inInterdiff = false;
            if (INTERDIFF.test(line)) {
              inInterdiff = true;
              interdiffHasDiff = false;
            }
            toComment(line);
          }
          break;
        case 1:
          if (line.startsWith('GIT binary patch') || line.startsWith('Binary files ')) {
            emitHeld(line);
            if (line.startsWith('GIT binary patch')) state = 7;
            else {
              state = 3;
              hunk++;
            }
          } else if (HUNK.test(line)) {
            // a hunk straight after the extended headers (no ---/+++ lines): Patchwork keeps it via
            // its held lines; we read it as the hunk it is
            startHunk(HUNK.exec(line)!, line);
          } else if (!isDiffHeaderLine(line)) {
            // Not a diff after all (a commit-message line starting with "diff", or text after a diff):
            // give the held lines back to the comment and read this line afresh.
            giveBack('');
            again = true;
          } else {
            buf += line;
            if (line.startsWith('--- ')) state = 2;
            if (isExtendedHeader(line)) state = 6;
          }
          break;
        case 2:
          if (line.startsWith('+++ ')) hold(line, 3);
          else if (hunk) hold(line, 1);
          else giveBack(line);
          break;
        case 3: {
          const m = HUNK.exec(line);
          if (m) {
            startHunk(m, line);
          } else if (line.startsWith('--- ')) {
            emitHeld(line);
            state = 2;
          } else if (hunk && line.startsWith('\\ No newline at end of file')) {
            emit(line);
          } else if (hunk && isDiffHeaderLine(line)) {
            hold(line, 1);
          } else {
            giveBack(line);
          }
          break;
        }
        case 4:
        case 5:
          if (line.startsWith('-')) lc[0] -= 1;
          else if (line.startsWith('+')) lc[1] -= 1;
          else if (line.startsWith('\\ No newline at end of file')) {
            // not counted in the hunk's line counts
          } else {
            lc[0] -= 1;
            lc[1] -= 1;
          }
          emit(line);
          if (lc[0] <= 0 && lc[1] <= 0) {
            state = 3;
            hunk += 1;
          } else state = 5;
          break;
        case 6:
          if (isExtendedHeader(line)) {
            emitHeld(line);
          } else if (line.startsWith('--- ')) {
            emitHeld(line);
            state = 2;
          } else {
            state = 1;
            again = true;
          }
          break;
        case 7:
          if (BINARY_LINE.test(line.slice(0, -1))) {
            emit(line);
          } else {
            // end of the binary data: carry on as after a hunk (next file, or trailing text)
            state = 3;
            hunk++;
            again = true;
          }
          break;
      }
    }
  }
  commentbuf += buf;

  // `content.split` adds a newline to the last line that the text may not have had.
  return {
    diff: patchbuf === '' ? null : patchbuf,
    comment: commentbuf === '' ? null : commentbuf,
    interdiff: interdiffbuf === '' ? null : interdiffbuf,
  };
}

const PULL_START = /^The following changes since commit/im;
const PULL_TAIL = new RegExp(
  '^are available in the git repository at:\\s*\\n' +
    '^\\s*([\\p{L}\\p{N}_+-]+(?:://|@)[\\p{L}\\p{N}_/.@:~-]+[\\s\\\\]*[\\p{L}\\p{N}_/._-]*)\\s*$',
  'gimu',
);

/**
 * The `git request-pull` URL (and branch or tag), whitespace folded; null when not a pull request.
 * Patchwork's single regex (`^The following changes since commit.*^are available in the git repository
 * at:…`, DOTALL) picks the last matching "are available" after the first "The following changes"; we do
 * the same in two linear steps.
 */
export function parsePullRequest(content: string | null): string | null {
  if (!content) return null;
  const start = PULL_START.exec(content);
  if (!start) return null;
  PULL_TAIL.lastIndex = start.index + start[0].length;
  let last: string | null = null;
  let m: RegExpExecArray | null;
  while ((m = PULL_TAIL.exec(content)) !== null) {
    last = m[1]!;
    if (m[0].length === 0) PULL_TAIL.lastIndex++;
  }
  return last === null ? null : last.replace(/\s+/g, ' ').trim();
}

const FILENAME = /^(---|\+\+\+) (\S+)/;

/** Files a diff touches, from its `---`/`+++` lines, first path component removed, sorted (Patchwork). */
export function findFilenames(diff: string): string[] {
  const names = new Set<string>();
  for (const line of (diff.replace(/\r/g, '').trim() + '\n').split('\n')) {
    if (!line) continue;
    const m = FILENAME.exec(line);
    if (!m) continue;
    const f = m[2]!;
    if (f.startsWith('/dev/null')) continue;
    names.add(f.split('/').slice(1).join('/'));
  }
  return [...names].sort();
}

/** The first line of a diff (used in the JSON description). */
export function firstLine(text: string | null): string | null {
  if (text === null) return null;
  const nl = text.indexOf('\n');
  return nl === -1 ? text : text.slice(0, nl);
}
