import { decodeBytes, decodeLatin1Bytes } from './charset.js';

/**
 * RFC 822 header block parsing and RFC 2047 decoding. Raw text is held as "binary" strings (latin-1: one
 * char per byte) so nothing is lost before we know which charset applies.
 */

export interface RawHeader {
  name: string;
  /** lower-cased name, for lookups */
  key: string;
  /** value bytes as a latin-1 string, folding newlines kept, leading blanks of the first line removed */
  raw: string;
}

export class HeaderList {
  constructor(readonly items: RawHeader[]) {}

  has(name: string): boolean {
    const key = name.toLowerCase();
    return this.items.some((h) => h.key === key);
  }

  /** The first occurrence, as Python's `Message.get` returns it. */
  first(name: string): string | undefined {
    const key = name.toLowerCase();
    for (const h of this.items) if (h.key === key) return h.raw;
    return undefined;
  }

  all(name: string): string[] {
    const key = name.toLowerCase();
    const out: string[] = [];
    for (const h of this.items) if (h.key === key) out.push(h.raw);
    return out;
  }
}

// A header line: a name of printable non-colon characters, then a colon (Python's feedparser headerRE).
const HEADER_LINE = /^[\x21-\x39\x3b-\x7e]*:/;

export interface SplitMessage {
  headers: HeaderList;
  /** body as a latin-1 string, LF line endings */
  body: string;
  unixFrom?: string;
  defects: string[];
}

/**
 * Split a message (latin-1 string, LF line endings) into headers and body with the same tolerance as
 * Python's email feedparser: a leading `From ` line is the envelope, a line that is neither a header nor a
 * continuation ends the headers and starts the body.
 */
export function splitHeaders(bin: string): SplitMessage {
  const items: RawHeader[] = [];
  const defects: string[] = [];
  let unixFrom: string | undefined;
  let pos = 0;
  let current: RawHeader | undefined;
  let lineNo = 0;
  while (pos < bin.length) {
    let end = bin.indexOf('\n', pos);
    const hasNl = end !== -1;
    if (!hasNl) end = bin.length;
    const line = bin.slice(pos, end);
    const next = hasNl ? end + 1 : end;
    if (line === '' || line === '\r') {
      return { headers: new HeaderList(items), body: bin.slice(next), unixFrom, defects };
    }
    const c = line.charCodeAt(0);
    if (c === 0x20 || c === 0x09) {
      if (current) current.raw += '\n' + line;
      else defects.push(`continuation line without a header at line ${lineNo + 1}`);
    } else if (line.startsWith('From ')) {
      if (lineNo === 0) unixFrom = line;
      else defects.push(`misplaced From line at line ${lineNo + 1}`);
      current = undefined;
    } else if (HEADER_LINE.test(line)) {
      const colon = line.indexOf(':');
      if (colon === 0) {
        defects.push(`header without a name at line ${lineNo + 1}`);
        current = undefined;
      } else {
        const name = line.slice(0, colon);
        current = { name, key: name.toLowerCase(), raw: line.slice(colon + 1).replace(/^[ \t]+/, '') };
        items.push(current);
      }
    } else {
      defects.push(`headers end without a blank line at line ${lineNo + 1}`);
      return { headers: new HeaderList(items), body: bin.slice(pos), unixFrom, defects };
    }
    pos = next;
    lineNo++;
  }
  return { headers: new HeaderList(items), body: '', unixFrom, defects };
}

const ENCODED_WORD = /=\?([^?]*?)\?([qQbB])\?(.*?)\?=/g;

interface Word {
  /** latin-1 bytes */
  bytes: string;
  /** null for unencoded text */
  charset: string | null;
}

function decodeQ(s: string): string {
  return s.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function decodeB(s: string): string {
  // Postel: drop what is not base64, fix the padding, as Python's lenient decoder does.
  let clean = s.replace(/[^A-Za-z0-9+/]/g, '');
  const rem = clean.length % 4;
  if (rem === 1) clean = clean.slice(0, -1);
  return Buffer.from(clean, 'base64').toString('latin1');
}

/** Collapse runs of whitespace to one space and trim (Patchwork's normalise_space). */
export function normalizeSpace(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * Decode a raw header value to text: RFC 2047 encoded words (with Python's spacing rules between encoded
 * and plain words), and raw 8-bit bytes read as UTF-8, falling back to windows-1252. Patchwork turns such
 * bytes into U+FFFD; we keep the text (see the README, "Where the mail parser differs from Patchwork").
 */
export function decodeHeaderValue(raw: string): string {
  if (!raw.includes('=?')) {
    return /[\x80-\xff]/.test(raw) ? decodeLatin1Bytes(raw).text : raw;
  }
  const words: Word[] = [];
  const encodedFlags: boolean[] = [];
  for (const line of raw.split(/\r?\n/)) {
    let first = true;
    let last = 0;
    ENCODED_WORD.lastIndex = 0;
    let m: RegExpExecArray | null;
    const push = (text: string): void => {
      let t = text;
      if (first) {
        t = t.replace(/^\s+/, '');
        first = false;
      }
      if (t) {
        words.push({ bytes: t, charset: null });
        encodedFlags.push(false);
      }
    };
    while ((m = ENCODED_WORD.exec(line)) !== null) {
      push(line.slice(last, m.index));
      first = false;
      const charset = (m[1] ?? '').toLowerCase();
      const enc = (m[2] ?? '').toLowerCase();
      const payload = m[3] ?? '';
      words.push({ bytes: enc === 'q' ? decodeQ(payload) : decodeB(payload), charset: charset || 'us-ascii' });
      encodedFlags.push(true);
      last = m.index + m[0].length;
    }
    push(line.slice(last));
  }
  // Whitespace between two encoded words is not part of the text (RFC 2047 §6.2).
  const kept: Word[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (!encodedFlags[i] && /^\s+$/.test(w.bytes) && encodedFlags[i - 1] && encodedFlags[i + 1]) continue;
    kept.push(w);
  }
  // Collapse runs with the same charset (plain words are joined by a space, as Python does).
  const chunks: Word[] = [];
  for (const w of kept) {
    const prev = chunks[chunks.length - 1];
    if (prev && prev.charset === w.charset) {
      prev.bytes += w.charset === null ? ' ' + w.bytes : w.bytes;
    } else chunks.push({ ...w });
  }
  let out = '';
  let lastEncoded: boolean | undefined;
  let lastSpace = false;
  for (const c of chunks) {
    const text = c.charset === null ? decodeLatin1Bytes(c.bytes).text : decodeLatin1Bytes(c.bytes, c.charset).text;
    const encoded = c.charset !== null && c.charset !== 'us-ascii';
    if (lastEncoded !== undefined && text) {
      const startsSpace = /^\s/.test(text);
      if (lastEncoded && !encoded && !startsSpace) out += ' ';
      else if (!lastEncoded && encoded && !lastSpace) out += ' ';
    }
    out += text;
    if (text) {
      lastSpace = /\s$/.test(text);
      lastEncoded = encoded;
    }
  }
  return out;
}

/**
 * Patchwork's field limit (its msgid, name and person columns are 255 characters; its parser cuts longer
 * values). Kept here too: 255 characters stay far below PostgreSQL's index row limit (~2.7 kB), which an
 * uncut 500 kB Message-Id or Subject would exceed.
 */
export const FIELD_MAX_CHARS = 255;

/** A value cut to the field limit the way Patchwork cuts it (`value[:255]`). */
export function fitField(value: string): string {
  return value.length > FIELD_MAX_CHARS ? value.slice(0, FIELD_MAX_CHARS) : value;
}

/** Patchwork's clean_header: decoded and whitespace-normalised; null when absent. */
export function cleanHeader(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  return normalizeSpace(decodeHeaderValue(raw));
}

/** Decode bytes of a parameter value (RFC 2231 `charset''text` or plain) to text. */
export function decodeParam(raw: string): string {
  const m = /^([^']*)'[^']*'(.*)$/.exec(raw);
  if (m && /%[0-9A-Fa-f]{2}/.test(m[2] ?? '')) {
    const bytes = (m[2] ?? '').replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    return decodeBytes(Buffer.from(bytes, 'latin1'), m[1]).text;
  }
  return decodeHeaderValue(raw);
}
