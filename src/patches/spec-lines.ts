/**
 * An RPM spec as lines that can be edited and written back byte for byte: line endings (LF or CRLF,
 * per line) and the presence of a final newline survive, and every line knows its section and its
 * `%if` nesting depth.
 */

export interface SpecLine {
  text: string;
  /** the line ended with CRLF */
  cr: boolean;
}

/** Section keywords that end the preamble (rpm's own list, scriptlets and triggers included). */
const SECTION_RE =
  /^%(package|description|prep|generate_buildrequires|conf|build|install|check|clean|files|changelog|pre|post|preun|postun|pretrans|posttrans|preuntrans|postuntrans|triggerprein|triggerin|triggerun|triggerpostun|filetriggerin|filetriggerun|filetriggerpostun|transfiletriggerin|transfiletriggerun|transfiletriggerpostun|verifyscript|sourcelist|patchlist)(?=\s|$)/;
const IF_RE = /^\s*%if(?:n?arch|n?os)?(?=\s|$)/;
const ENDIF_RE = /^\s*%endif(?=\s|$)/;

export class SpecLines {
  readonly lines: SpecLine[];
  private readonly finalNewline: boolean;
  /** new lines use CRLF when most existing lines do */
  private readonly crlf: boolean;

  constructor(content: string) {
    const parts = content.split('\n');
    this.finalNewline = content.endsWith('\n');
    if (this.finalNewline) parts.pop();
    this.lines = parts.map((p) => (p.endsWith('\r') ? { text: p.slice(0, -1), cr: true } : { text: p, cr: false }));
    this.crlf = this.lines.filter((l) => l.cr).length * 2 > this.lines.length;
  }

  toString(): string {
    return this.lines.map((l) => (l.cr ? `${l.text}\r` : l.text)).join('\n') + (this.finalNewline ? '\n' : '');
  }

  /** Inserts `texts` after line `index` (-1: at the top). */
  insertAfter(index: number, texts: string[]): void {
    this.lines.splice(index + 1, 0, ...texts.map((text) => ({ text, cr: this.crlf })));
  }

  /** Adds lines at the very end, keeping "final newline or not" as it was. */
  append(texts: string[]): void {
    this.insertAfter(this.lines.length - 1, texts);
  }

  structure(): SpecStructure {
    return new SpecStructure(this.lines.map((l) => l.text));
  }
}

export interface SectionRange {
  name: string;
  /** the `%prep` (etc.) line; -1 for the main preamble */
  header: number;
  /** first line after the section */
  end: number;
}

/** Where the sections are and how deep in `%if` each line sits. Recompute after editing. */
export class SpecStructure {
  readonly sections: SectionRange[] = [];
  /** `%if` depth after each line */
  readonly depthAfter: number[] = [];

  constructor(private readonly texts: string[]) {
    let depth = 0;
    let current: SectionRange = { name: 'preamble', header: -1, end: texts.length };
    this.sections.push(current);
    texts.forEach((text, i) => {
      const section = SECTION_RE.exec(text);
      if (section) {
        current.end = i;
        current = { name: section[1]!, header: i, end: texts.length };
        this.sections.push(current);
      }
      if (IF_RE.test(text)) depth++;
      else if (ENDIF_RE.test(text)) depth = Math.max(0, depth - 1);
      this.depthAfter.push(depth);
    });
  }

  get mainPreamble(): SectionRange {
    return this.sections[0]!;
  }

  section(name: string): SectionRange | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** indexes of lines in `range` (header excluded) whose text matches */
  find(range: SectionRange, re: RegExp): number[] {
    const found: number[] = [];
    for (let i = range.header + 1; i < range.end; i++) if (re.test(this.texts[i]!)) found.push(i);
    return found;
  }

  /**
   * Where to put a line meant to follow line `index` unconditionally: right after it, or, when it sits
   * inside `%if` blocks opened within the section, after the `%endif` that closes them.
   */
  unconditionalAfter(index: number, range: SectionRange): number {
    const base = range.header >= 0 ? this.depthAfter[range.header]! : 0;
    if (this.depthAfter[index]! <= base) return index;
    for (let j = index + 1; j < range.end; j++) {
      if (this.depthAfter[j]! <= base) return j;
    }
    return index;
  }
}
