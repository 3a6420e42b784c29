import { createReadStream } from 'node:fs';
import { open, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { MAX_MAIL_BYTES } from './parse.js';

/**
 * Streaming mbox splitting and Maildir reading. Memory stays bounded by the largest message, whatever
 * the archive size: an mbox is read in chunks and each message is handed out as soon as its end is seen.
 */

export interface MboxMessage {
  raw: Buffer;
  /** 0-based position in the archive */
  index: number;
  /** byte offset of the message's `From ` line in the archive (for progress reporting) */
  offset: number;
  /** the `From ` envelope line, without its newline */
  envelope: string | null;
  /** true when the message exceeded `maxMessageBytes` and was cut */
  truncated: boolean;
}

export interface MboxOptions {
  /**
   * Undo mboxrd quoting (`>From ` → `From `, `>>From ` → `>From `). On by default: mboxo archives only
   * quote `From `, so the only loss is a genuine `>From ` line written unquoted, which is rare.
   */
  unquoteFrom?: boolean;
  /** bytes kept per message; the rest is dropped and the message flagged `truncated` (default MAX_MAIL_BYTES) */
  maxMessageBytes?: number;
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
// The envelope as git format-patch, mutt, mailman's pipermail and Thunderbird write it.
const STRICT_FROM = new RegExp(`^From \\S.*? ${DAY},? +${MONTH} +\\d{1,2} +\\d{1,2}:\\d{2}(?::\\d{2})? .*\\d{4}\\s*$`);
// `From A`, `From nobody`, `From user@host <date>`, `From a at b.org <date>`: one sender word, then
// nothing or something with a time of day.
const SENDER_FROM = /^From \S+(?:\s*$|\s.*\d:\d\d)/;

/**
 * Is this `From ` line an envelope? Python's mailbox.mbox (so Patchwork's parsearchive) splits on every
 * `From ` line; so do we, but only where a message can start, so an unquoted `From ` in a body stays body:
 * - at the start of the archive, always;
 * - in the exact envelope shape (git format-patch, mutt, pipermail, Thunderbird), always;
 * - otherwise only when the next line is a header line and the line has an envelope's shape: one sender
 *   word alone or before a date. A body's `From the docs:` then `Note: ...` has neither.
 * A blank line before does not matter: Python does not ask for one, and some writers omit it.
 */
export function isEnvelopeLine(line: string, at: { atStart: boolean; nextIsHeader: boolean }): boolean {
  if (!line.startsWith('From ')) return false;
  if (at.atStart) return true;
  const l = line.endsWith('\r') ? line.slice(0, -1) : line;
  return STRICT_FROM.test(l) || (at.nextIsHeader && SENDER_FROM.test(l));
}

/**
 * Does the line starting at `start` begin like a header (a name of printable characters, then a colon,
 * as Python's feedparser reads headers)? Undefined when `end` comes before that is known.
 */
function startsHeaderLine(data: Buffer, start: number, end: number): boolean | undefined {
  for (let i = start; i < end; i++) {
    const c = data[i]!;
    if (c === 0x3a) return i > start;
    if (c < 0x21 || c > 0x7e) return false;
  }
  return undefined;
}

const QUOTED_FROM = /^>(>*From )/gm;

function finish(parts: Buffer[], unquote: boolean): Buffer {
  let raw = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  // the blank line before the next envelope belongs to the mbox, not to the message
  if (raw.length && raw[raw.length - 1] === 0x0a) {
    raw = raw.subarray(0, raw.length - (raw.length > 1 && raw[raw.length - 2] === 0x0d ? 2 : 1));
  }
  if (unquote && raw.includes('>From ')) {
    raw = Buffer.from(raw.toString('latin1').replace(QUOTED_FROM, '$1'), 'latin1');
  }
  return raw;
}

function isBlank(b: Buffer): boolean {
  for (const c of b) if (c !== 0x0a && c !== 0x0d && c !== 0x20 && c !== 0x09) return false;
  return true;
}

/** A file path, or the archive's bytes as a stream or (async) iterable of chunks. */
export type ByteSource = string | Readable | AsyncIterable<Buffer | string> | Iterable<Buffer>;

async function* chunks(source: ByteSource): AsyncGenerator<Buffer> {
  const iterable: AsyncIterable<Buffer | string> | Iterable<Buffer> = typeof source === 'string' ? createReadStream(source, { highWaterMark: 1 << 20 }) : source;
  for await (const c of iterable) yield typeof c === 'string' ? Buffer.from(c, 'latin1') : c;
}

const NL = 0x0a;

/** Split an mbox (file path or byte stream) into messages. */
export async function* readMbox(source: ByteSource, options: MboxOptions = {}): AsyncGenerator<MboxMessage> {
  const unquote = options.unquoteFrom ?? true;
  const max = options.maxMessageBytes ?? MAX_MAIL_BYTES;
  let carry: Buffer = Buffer.alloc(0);
  let carryOffset = 0; // archive offset of carry[0]
  let parts: Buffer[] = [];
  let size = 0;
  let truncated = false;
  let envelope: string | null = null;
  let msgOffset = 0;
  let started = false;
  let atStart = true;
  let index = 0;

  const append = (b: Buffer): void => {
    if (b.length === 0) return;
    if (size + b.length > max) {
      if (size < max) parts.push(b.subarray(0, max - size));
      size = max;
      truncated = true;
      return;
    }
    parts.push(b);
    size += b.length;
  };
  const take = (): MboxMessage => {
    const m: MboxMessage = { raw: finish(parts, unquote), index: index++, offset: msgOffset, envelope, truncated };
    parts = [];
    size = 0;
    truncated = false;
    return m;
  };

  // Lines are handled as soon as they are complete, except a `From ` line whose fate depends on the next
  // line: it waits, with the bytes after it, for the next chunk.
  function* feed(data: Buffer, base: number, final: boolean): Generator<MboxMessage, number> {
    let lineStart = 0;
    let segStart = 0; // start of bytes not yet appended to the current message
    for (;;) {
      let nl = data.indexOf(NL, lineStart);
      if (nl === -1) {
        if (!final || lineStart >= data.length) break;
        nl = data.length; // the last line of an archive without a final newline
      }
      // only lines starting with "From " need a closer look
      if (data[lineStart] === 0x46 && data.toString('latin1', lineStart, Math.min(nl, lineStart + 5)) === 'From ') {
        const line = data.toString('latin1', lineStart, nl);
        let next: boolean | undefined = false;
        if (nl < data.length) {
          const nextEnd = data.indexOf(NL, nl + 1);
          next = startsHeaderLine(data, nl + 1, nextEnd === -1 ? data.length : nextEnd);
          if (next === undefined && nextEnd === -1 && !final) break;
        }
        if (isEnvelopeLine(line, { atStart, nextIsHeader: next === true })) {
          append(data.subarray(segStart, lineStart));
          if (started && (envelope !== null || !parts.every(isBlank))) yield take();
          else {
            parts = [];
            size = 0;
          }
          started = true;
          envelope = line.endsWith('\r') ? line.slice(0, -1) : line;
          msgOffset = base + lineStart;
          segStart = Math.min(nl + 1, data.length);
        }
      } else if (atStart && !started) {
        // an archive that does not begin with an envelope is one bare message
        started = true;
        msgOffset = base;
      }
      atStart = false;
      lineStart = Math.min(nl + 1, data.length);
    }
    append(data.subarray(segStart, lineStart));
    return lineStart;
  }

  for await (const chunk of chunks(source)) {
    const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const base = carryOffset;
    const done = yield* feed(data, base, false);
    carry = data.subarray(done);
    carryOffset = base + done;
    // keep a Buffer of its own so the big chunk can be collected
    if (carry.length) carry = Buffer.from(carry);
    else carry = Buffer.alloc(0);
    // copy parts that still reference the chunk, so one message does not pin whole chunks
    parts = parts.map((p) => (p.buffer === data.buffer && p.length < data.length / 2 ? Buffer.from(p) : p));
  }
  if (carry.length) yield* feed(carry, carryOffset, true);
  if (started && (size > 0 || envelope !== null)) yield take();
}

export interface MaildirMessage {
  raw: Buffer;
  path: string;
  /** the file was larger than the limit and `raw` holds its first bytes */
  truncated: boolean;
}

/** A file holding one message: its first `max` bytes, and whether there was more. */
export async function readMessageFile(path: string, max = MAX_MAIL_BYTES): Promise<{ raw: Buffer; truncated: boolean }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size <= max) return { raw: await fh.readFile(), truncated: false };
    const raw = Buffer.alloc(max);
    const { bytesRead } = await fh.read(raw, 0, max, 0);
    return { raw: raw.subarray(0, bytesRead), truncated: true };
  } finally {
    await fh.close();
  }
}

/** Messages of a Maildir folder (`cur/` then `new/`, each in file-name order, which is arrival order). */
export async function* readMaildir(dir: string, max = MAX_MAIL_BYTES): AsyncGenerator<MaildirMessage> {
  for (const sub of ['cur', 'new']) {
    const names: string[] = [];
    let handle;
    try {
      handle = await opendir(join(dir, sub));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for await (const entry of handle) if (entry.isFile() && !entry.name.startsWith('.')) names.push(entry.name);
    names.sort();
    for (const name of names) {
      const path = join(dir, sub, name);
      yield { ...(await readMessageFile(path, max)), path };
    }
  }
}

/** Whether a file begins with an mbox `From ` envelope line (else it is one bare message). */
export async function startsWithEnvelope(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(5);
    const { bytesRead } = await fh.read(buf, 0, 5, 0);
    return bytesRead === 5 && buf.toString('latin1') === 'From ';
  } finally {
    await fh.close();
  }
}
