/**
 * ANSI colour for output meant for people: only when stdout is a terminal and NO_COLOR is unset, so a
 * pipe, a file or a script never gets escape codes.
 */
import type { CliIo } from './io.js';

export type Paint = (style: Style, text: string) => string;
export type Style = 'bold' | 'dim' | 'red' | 'green' | 'cyan' | 'yellow';

const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

export function wantsColour(io: Pick<CliIo, 'stdout' | 'env'>): boolean {
  return Boolean(io.stdout.isTTY) && io.env.NO_COLOR === undefined;
}

export function painter(enabled: boolean): Paint {
  if (!enabled) return (_style, text) => text;
  return (style, text) => (text === '' ? text : `\x1b[${CODES[style][0]}m${text}\x1b[${CODES[style][1]}m`);
}

/**
 * A patch file or a unified diff with its diff lines coloured. Lines before the first hunk header or
 * `diff --git` (a patch's mail headers and commit message) stay plain, as does the `-- ` signature after it,
 * so a message line that starts with "-" is not shown as a removal.
 */
export function paintDiff(text: string, paint: Paint): string {
  let inDiff = false;
  return text
    .split('\n')
    .map((line) => {
      if (line.startsWith('diff --git ') || (!inDiff && line.startsWith('--- a/')) || (!inDiff && line.startsWith('Index: '))) inDiff = true;
      if (!inDiff) return line;
      if (line === '-- ') {
        inDiff = false;
        return line;
      }
      if (/^(diff --git |index |--- |\+\+\+ |new file mode |deleted file mode |similarity |rename |old mode |new mode |=+$)/.test(line)) return paint('bold', line);
      if (line.startsWith('@@')) return paint('cyan', line);
      if (line.startsWith('+')) return paint('green', line);
      if (line.startsWith('-')) return paint('red', line);
      return line;
    })
    .join('\n');
}
