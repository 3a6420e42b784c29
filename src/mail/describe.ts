import { open, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { firstLine } from './diff.js';
import { readMaildir, readMbox, startsWithEnvelope } from './mbox.js';
import { parseMail, type ParseOptions } from './parse.js';

/** The JSON `patch-tracking mail parse FILE --json` prints per message (snake_case, like Patchwork's API). */
export interface MessageDescription {
  status: 'parsed' | 'dropped';
  /** why the mail cannot be stored (status dropped) */
  reason?: string;
  msgid: string | null;
  msgid_synthesized?: boolean;
  /** patch | cover | comment | ignored; cover and comment are what they become when their parent/name is known */
  class?: 'patch' | 'cover' | 'comment' | 'ignored';
  ignored_reason?: string | null;
  subject?: string;
  name?: string;
  prefixes?: string[];
  version?: number;
  series_marker?: [number | null, number | null];
  refs?: string[];
  author?: { name: string | null; email: string };
  dmarc_from?: { name: string | null; email: string } | null;
  date?: string | null;
  list_id?: string | null;
  has_diff?: boolean;
  diff_first_line?: string | null;
  diff_lines?: number;
  has_interdiff?: boolean;
  filenames?: string[];
  hash?: string | null;
  pull_url?: string | null;
  tags?: { acked: number; reviewed: number; tested: number };
  trailers?: Array<{ key: string; value: string }>;
  hints?: { state: string | null; delegate: string | null };
  supersedes?: string[];
  change_id?: string | null;
  based_on?: string[];
  depends_on?: string[];
  defects?: string[];
}

export function describeMessage(raw: Buffer, options: ParseOptions = {}): MessageDescription {
  const r = parseMail(raw, options);
  if (!r.ok) return { status: 'dropped', reason: r.reason, msgid: r.msgid };
  const m = r.mail;
  return {
    status: 'parsed',
    msgid: m.msgid,
    ...(m.msgidSynthesized ? { msgid_synthesized: true } : {}),
    class: m.kind,
    ignored_reason: m.ignoredReason,
    subject: m.subject,
    name: m.name,
    prefixes: m.prefixes,
    version: m.version,
    series_marker: m.seriesMarker,
    refs: m.refs,
    author: m.author,
    dmarc_from: m.dmarcFrom,
    date: m.date,
    list_id: m.listIds[0] ?? null,
    has_diff: m.diff !== null,
    diff_first_line: firstLine(m.diff),
    diff_lines: m.diff ? m.diff.split('\n').length - 1 : 0,
    has_interdiff: m.interdiff !== null,
    filenames: m.filenames,
    hash: m.hash,
    pull_url: m.pullUrl,
    tags: m.tags,
    trailers: m.trailers,
    hints: { state: m.hints.state, delegate: m.hints.delegate },
    supersedes: m.seriesHints.supersedes,
    change_id: m.seriesHints.changeId,
    based_on: m.seriesHints.basedOn,
    depends_on: m.seriesHints.dependsOn,
    defects: m.defects,
  };
}

async function* prepend(first: Buffer, rest: AsyncIterator<Buffer | string>): AsyncGenerator<Buffer> {
  yield first;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield typeof r.value === 'string' ? Buffer.from(r.value, 'latin1') : r.value;
  }
}

/**
 * Print one JSON line per message of `path`: an mbox (starts with a `From ` line), a Maildir folder, a
 * single RFC 822 message, or `-` for standard input (mbox or single message). Stores nothing. Returns how
 * many messages were described.
 */
export async function mailParseCommand(
  path: string,
  out: Writable | ((line: string) => void),
  options: ParseOptions = {},
  stdin: AsyncIterable<Buffer | string> = process.stdin,
): Promise<number> {
  const write = typeof out === 'function' ? out : (line: string): void => void out.write(line);
  let n = 0;
  const emit = (raw: Buffer, extra: Record<string, unknown> = {}): void => {
    write(JSON.stringify({ ...extra, ...describeMessage(raw, options) }) + '\n');
    n++;
  };
  if (path === '-') {
    const it = stdin[Symbol.asyncIterator]();
    let first = Buffer.alloc(0);
    // enough bytes to see whether an envelope line starts the input
    while (first.length < 5) {
      const r = await it.next();
      if (r.done) break;
      first = Buffer.concat([first, typeof r.value === 'string' ? Buffer.from(r.value, 'latin1') : r.value]);
    }
    if (first.length === 0) return 0;
    const source = prepend(first, it);
    if (first.toString('latin1', 0, 5) === 'From ') {
      for await (const m of readMbox(source)) emit(m.raw, { index: m.index });
    } else {
      const parts: Buffer[] = [];
      for await (const c of source) parts.push(c);
      emit(Buffer.concat(parts));
    }
    return n;
  }
  const st = await stat(path);
  if (st.isDirectory()) {
    for await (const m of readMaildir(path)) emit(m.raw, { file: m.path });
  } else if (await startsWithEnvelope(path)) {
    for await (const m of readMbox(path)) emit(m.raw, m.truncated ? { index: m.index, truncated: true } : { index: m.index });
  } else {
    const fh = await open(path, 'r');
    try {
      emit(await fh.readFile());
    } finally {
      await fh.close();
    }
  }
  return n;
}
