import { createHash } from 'node:crypto';
import { parseAuthor, restoreDmarcSender, type Person } from './author.js';
import { parseMailDate } from './date.js';
import { findFilenames, parsePatch, parsePullRequest } from './diff.js';
import { hashDiff } from './hash.js';
import { cleanHeader, fitField, splitHeaders, type HeaderList } from './headers.js';
import { buildPart, leafParts, partText, type MimePart } from './mime.js';
import { cleanSubject, isReplySubject, parseSeriesMarker, parseVersion } from './subject.js';
import { countTags, extractSeriesHints, extractTrailers, type SeriesHints, type TagCounts, type Trailer } from './tags.js';

/** What a mail is. `cover` and `comment` are provisional until `classifyMail` has seen what is stored. */
export type MailKind = 'patch' | 'cover' | 'comment' | 'ignored';

export interface ParseOptions {
  /** the project's link name: dropped from subject prefixes like `PATCH` is */
  linkname?: string;
  /** the list's posting address, to recognise DMARC-rewritten senders (default: List-Post) */
  listEmail?: string;
}

export interface ParsedMail {
  msgid: string;
  /** true when the mail had no usable Message-Id and `msgid` was derived from its bytes */
  msgidSynthesized: boolean;
  /** In-Reply-To then References, newest first, without duplicates */
  refs: string[];
  subject: string;
  /** Patchwork's name: `[prefix,prefix] title` */
  name: string;
  prefixes: string[];
  title: string;
  seriesMarker: [number | null, number | null];
  version: number;
  /** subject starts with `Re:`: Patchwork files these as comments only */
  isReply: boolean;
  author: Person;
  /** From as written, when `author` was restored from a DMARC rewrite */
  dmarcFrom: Person | null;
  /** UTC ISO 8601; null when neither Date nor Received holds a readable date */
  date: string | null;
  dateSource: 'date' | 'received' | null;
  /** the message text Patchwork keeps as `content` (signature and list footer removed) */
  content: string;
  diff: string | null;
  interdiff: string | null;
  hash: string | null;
  filenames: string[];
  pullUrl: string | null;
  tags: TagCounts;
  trailers: Trailer[];
  seriesHints: SeriesHints;
  hints: { ignore: boolean; state: string | null; delegate: string | null };
  /** candidate list ids in header order (List-Id, X-Mailing-List, X-List) */
  listIds: string[];
  kind: MailKind;
  ignoredReason: string | null;
  /** where parts of the mail were unreadable and how we coped */
  defects: string[];
}

export type ParseResult = { ok: true; mail: ParsedMail } | { ok: false; reason: string; msgid: string | null };

const LIST_ID_HEADERS = ['list-id', 'x-mailing-list', 'x-list'];

export function findListIds(headers: HeaderList): string[] {
  const out: string[] = [];
  for (const name of LIST_ID_HEADERS) {
    for (const raw of headers.all(name)) {
      const h = cleanHeader(raw);
      if (!h) continue;
      const m = /<([^>]+)>/.exec(h) ?? /^(\S+)$/.exec(h);
      if (m && !out.includes(m[1]!)) out.push(m[1]!);
    }
  }
  return out;
}

/**
 * The largest mail any ingest path (stdin, mbox, Maildir, IMAP, HTTP) takes whole; a larger one is kept
 * as dropped, cut to this size, with the reason.
 */
export const MAX_MAIL_BYTES = 64 * 1024 * 1024;

function extractMsgid(value: string | null): string | null {
  if (!value) return null;
  const m = /<[^<>\s]+>/.exec(value);
  return fitField(m ? m[0] : value);
}

/**
 * How many references a mail keeps. Threading and series matching look for the nearest known ancestor, so
 * In-Reply-To and the newest References matter; a real thread rarely has more than a few hundred, and a
 * hostile 60,000-entry header would otherwise cost every lookup that follows.
 */
export const MAX_REFERENCES = 1000;

/** In-Reply-To then References newest first, each cut like a msgid, without duplicates, at most MAX_REFERENCES. */
export function findReferences(headers: HeaderList): string[] {
  const refs: string[] = [];
  // a Set, not refs.includes: a 650 kB References header made the scan quadratic (seconds per mail)
  const seen = new Set<string>();
  const add = (ref: string): boolean => {
    const r = fitField(ref);
    if (r && !seen.has(r)) {
      seen.add(r);
      refs.push(r);
    }
    return refs.length < MAX_REFERENCES;
  };
  for (const raw of headers.all('in-reply-to')) {
    const h = cleanHeader(raw);
    if (!h) continue;
    for (const r of h.match(/<[^<>\s]+>/g) ?? [h]) if (!add(r)) return refs;
  }
  for (const raw of headers.all('references')) {
    const h = cleanHeader(raw);
    if (!h) continue;
    const ids = h.split(/\s+/);
    for (let i = ids.length - 1; i >= 0; i--) if (!add(ids[i]!)) return refs;
  }
  return refs;
}

function findDate(headers: HeaderList): { date: string | null; source: 'date' | 'received' | null } {
  const d = parseMailDate(cleanHeader(headers.first('date')));
  if (d) return { date: d, source: 'date' };
  for (const raw of headers.all('received')) {
    const v = cleanHeader(raw) ?? '';
    const semi = v.lastIndexOf(';');
    const r = semi === -1 ? null : parseMailDate(v.slice(semi + 1));
    if (r) return { date: r, source: 'received' };
  }
  return { date: null, source: null };
}

/** Patchwork's clean_content: drop from the first signature (`-- `) or underscore footer line on. */
export function cleanContent(content: string): string {
  return content.replace(/^(-- |_+)\n[\s\S]*/m, '').trim();
}

const PATCH_NAME = /\.(patch|diff)$/i;
const PATCH_TYPES = new Set(['application/x-patch', 'application/x-diff', 'application/patch', 'application/diff', 'text/x-patch', 'text/x-diff']);

/** A non-text part worth reading as text: it is named or typed as a patch. */
function isPatchAttachment(part: MimePart): boolean {
  if (part.maintype === 'text' || part.maintype === 'multipart' || part.maintype === 'message') return false;
  return PATCH_TYPES.has(part.contentType) || PATCH_NAME.test(part.filename ?? '');
}

interface Content {
  diff: string | null;
  interdiff: string | null;
  comment: string;
}

function findContent(root: MimePart, reply: boolean, defects: string[]): Content {
  const diffs: string[] = [];
  const interdiffs: string[] = [];
  let comment = '';
  for (const part of leafParts(root)) {
    const binaryPatch = isPatchAttachment(part);
    if (part.maintype !== 'text' && !binaryPatch) continue;
    const { text, charset, declaredCharset } = partText(part);
    if (declaredCharset && declaredCharset !== charset && charset !== 'us-ascii') {
      defects.push(`part ${part.contentType}: charset "${declaredCharset}" unusable, read as ${charset}`);
    }
    if (binaryPatch && text.includes('\0')) continue;
    if (reply) {
      if (part.subtype === 'plain' && text) comment += text.trim() + '\n';
      continue;
    }
    if (part.subtype === 'x-patch' || part.subtype === 'x-diff' || binaryPatch) {
      const split = parsePatch(text);
      if (split.diff) {
        diffs.push(split.diff);
        if (split.comment?.trim()) comment += split.comment.trim() + '\n';
      } else if (!binaryPatch && text.trim()) diffs.push(text); // a diff format we do not parse: kept whole
      else continue;
      if (binaryPatch) defects.push(`diff read from ${part.contentType} attachment ${part.filename ?? ''}`.trim());
    } else if (part.subtype === 'plain') {
      const split = parsePatch(text);
      if (split.diff) diffs.push(split.diff);
      if (split.interdiff) interdiffs.push(split.interdiff);
      if (split.comment !== null) comment += split.comment.trim() + '\n';
    }
  }
  return {
    diff: diffs.length ? diffs.join('') : null,
    interdiff: interdiffs.length ? interdiffs.join('') : null,
    comment: cleanContent(comment),
  };
}

function syntheticMsgid(raw: Buffer): string {
  return `<${createHash('sha1').update(raw).digest('hex')}@msgid.invalid>`;
}

/** Parse one RFC 822 message. Never throws: unusable mails come back as `{ ok: false, reason }`. */
export function parseMail(raw: Buffer, options: ParseOptions = {}): ParseResult {
  try {
    return parseMailUnsafe(raw, options);
  } catch (err) {
    return { ok: false, reason: `unparseable: ${err instanceof Error ? err.message : String(err)}`, msgid: null };
  }
}

function parseMailUnsafe(raw: Buffer, options: ParseOptions): ParseResult {
  let bin = raw.toString('latin1');
  if (bin.includes('\r')) bin = bin.replace(/\r\n/g, '\n');
  const { headers, body, defects } = splitHeaders(bin);

  const rawMsgid = extractMsgid(cleanHeader(headers.first('message-id')));
  const msgid = rawMsgid || syntheticMsgid(raw);

  const from = parseAuthor(headers);
  if (!from) return { ok: false, reason: headers.has('from') ? 'invalid From header' : 'missing From header', msgid: rawMsgid && withoutNul(rawMsgid) };
  const restored = restoreDmarcSender(headers, from, options.listEmail);
  const author: Person = { name: restored.name, email: restored.email };

  const fullSubject = cleanHeader(headers.first('subject')) ?? '';
  const drop = options.linkname ? [options.linkname] : [];
  const cleaned = cleanSubject(fullSubject, drop);
  const { prefixes } = cleaned;
  // Patchwork stores name[:255]; the prefixes and reply test still see the whole subject
  const [subject, name, title] = [fitField(fullSubject), fitField(cleaned.name), fitField(cleaned.title)];
  const isReply = isReplySubject(fullSubject);
  const seriesMarker = parseSeriesMarker(prefixes);
  const version = parseVersion(cleaned.name, prefixes);
  const refs = findReferences(headers);
  const { date, source } = findDate(headers);

  const root = buildPart(headers, body);
  const content = findContent(root, isReply, defects);
  const pullUrl = parsePullRequest(content.comment);
  const diff = content.diff;

  const hintHeader = cleanHeader(headers.first('x-patchwork-hint'));
  const ignore = headers.has('x-patchwork-ignore') || (hintHeader ?? '').toLowerCase() === 'ignore';

  let kind: MailKind;
  let ignoredReason: string | null = null;
  if (ignore) {
    kind = 'ignored';
    ignoredReason = 'X-Patchwork-Ignore hint';
  } else if (!diff && !content.comment) {
    kind = 'ignored';
    ignoredReason = 'no content';
  } else if (!isReply && (diff || pullUrl)) kind = 'patch';
  else if (!isReply && seriesMarker[0] === 0) kind = 'cover';
  else kind = 'comment';

  const mail: ParsedMail = {
    msgid,
    msgidSynthesized: !rawMsgid,
    refs,
    subject,
    name,
    prefixes,
    title,
    seriesMarker,
    version,
    isReply,
    author,
    dmarcFrom: restored.restored ? from : null,
    date,
    dateSource: source,
    content: content.comment,
    diff,
    interdiff: content.interdiff,
    hash: diff ? hashDiff(diff) : null,
    filenames: diff ? findFilenames(diff) : [],
    pullUrl,
    tags: countTags(content.comment),
    trailers: extractTrailers(content.comment),
    seriesHints: extractSeriesHints(content.comment),
    hints: {
      ignore,
      state: cleanHeader(headers.first('x-patchwork-state')) || null,
      delegate: cleanHeader(headers.first('x-patchwork-delegate')) || null,
    },
    listIds: findListIds(headers),
    kind,
    ignoredReason,
    defects,
  };
  return { ok: true, mail: withoutNul(mail) };
}

/**
 * The mail with every NUL character removed (as Patchwork removes them): PostgreSQL text cannot hold one,
 * and an encoded word (`=?utf-8?q?a=00b?=`) or a base64 part yields one even when the raw bytes have none.
 * The raw bytes, stored as bytea, keep it.
 */
function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return (value.includes('\0') ? value.replaceAll('\0', '') : value) as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = withoutNul(v);
    return out as T;
  }
  return value;
}

export type ParentId = string | number;

/** What is already stored, as far as classification needs to know. */
export interface ClassifyLookup {
  /** the patch whose msgid this is, or the patch that a stored comment with this msgid belongs to */
  findPatch(msgid: string): ParentId | undefined;
  /** the cover letter whose msgid this is, or the cover a stored comment with this msgid belongs to */
  findCover(msgid: string): ParentId | undefined;
  /** how many stored cover letters of the project have exactly this name */
  countCoversNamed(name: string): number;
}

export type Classification =
  | { class: 'patch' }
  | { class: 'cover' }
  | { class: 'comment'; on: 'patch' | 'cover'; parent: ParentId }
  | { class: 'ignored'; reason: string };

/**
 * Patchwork's final decision (parse_mail): a `0/N` mail is a cover letter when it starts a thread or its
 * name is new; anything else that is not a patch is a comment on the first patch (then cover) found among
 * its references, or is ignored.
 */
export function classifyMail(mail: ParsedMail, lookup: ClassifyLookup): Classification {
  if (mail.kind === 'ignored') return { class: 'ignored', reason: mail.ignoredReason ?? 'ignored' };
  if (mail.kind === 'patch') return { class: 'patch' };
  if (mail.kind === 'cover' && (mail.refs.length === 0 || lookup.countCoversNamed(mail.name) === 0)) {
    return { class: 'cover' };
  }
  for (const ref of mail.refs) {
    const p = lookup.findPatch(ref);
    if (p !== undefined) return { class: 'comment', on: 'patch', parent: p };
  }
  for (const ref of mail.refs) {
    const c = lookup.findCover(ref);
    if (c !== undefined) return { class: 'comment', on: 'cover', parent: c };
  }
  return { class: 'ignored', reason: 'reply to an unknown message' };
}

/**
 * All headers of a raw message, decoded to text (for Patchwork's `headers` field and mbox downloads),
 * in their original order; repeated headers stay separate entries.
 */
export function decodedHeaders(raw: Buffer): Array<{ name: string; value: string }> {
  let bin = raw.toString('latin1');
  if (bin.includes('\r')) bin = bin.replace(/\r\n/g, '\n');
  return splitHeaders(bin).headers.items.map((h) => ({ name: h.name, value: cleanHeader(h.raw) ?? '' }));
}
