/**
 * The part of public-inbox's search language b4 speaks when it looks for other versions of a series
 * (`(s:"subject" AND f:"sender") OR nq:"change-id: …"`, then `AND d:20260101..`): terms with the prefixes
 * s: (subject), f: (sender name or address), b:/nq: (message text), m: (message id) and d: (a date range
 * YYYYMMDD..YYYYMMDD, either end open), bare words (subject or text), joined by AND, OR, NOT and
 * parentheses; adjacent terms mean AND. Matching is case-insensitive substring matching, not Xapian's
 * stemmed word search.
 */
import { and, gte, ilike, lt, not, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { AppError } from '../../errors.js';

/** The columns a query can look at, for one of the patch, cover and comment tables. */
export interface SearchColumns {
  subject: PgColumn;
  date: PgColumn;
  content: PgColumn;
  msgid: PgColumn;
  senderName: PgColumn;
  senderEmail: PgColumn;
}

export type SearchQuery = (cols: SearchColumns) => SQL;

function bad(message: string): AppError {
  return new AppError('invalid_request', `q: ${message}`, { field: 'q' });
}

const TOKEN = /\s*(?:(\()|(\))|([A-Za-z]+:)?(?:"([^"]*)"|([^\s()"]+)))/y;

type Token = { kind: '(' | ')' } | { kind: 'op'; op: 'AND' | 'OR' | 'NOT' } | { kind: 'term'; prefix: string | null; text: string };

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < q.length) {
    if (!q.slice(TOKEN.lastIndex).trim()) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(q);
    if (!m) throw bad(`cannot read the query from position ${at + 1}`);
    if (m[1]) out.push({ kind: '(' });
    else if (m[2]) out.push({ kind: ')' });
    else {
      const prefix = m[3]?.slice(0, -1).toLowerCase() ?? null;
      const text = m[4] ?? m[5] ?? '';
      if (!prefix && m[5] && /^(AND|OR|NOT)$/.test(m[5])) out.push({ kind: 'op', op: m[5] as 'AND' | 'OR' | 'NOT' });
      else out.push({ kind: 'term', prefix, text });
    }
  }
  return out;
}

const containing = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

function day(text: string, end: boolean): Date | undefined {
  if (text === '') return undefined;
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text);
  if (!m) throw bad(`d: wants YYYYMMDD..YYYYMMDD, not "${text}"`);
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (end ? 1 : 0)));
  if (Number.isNaN(date.getTime())) throw bad(`d: not a date: "${text}"`);
  return date;
}

function term(prefix: string | null, text: string): SearchQuery {
  const like = containing(text);
  switch (prefix) {
    case null:
      return (c) => or(ilike(c.subject, like), ilike(c.content, like))!;
    case 's':
      return (c) => ilike(c.subject, like);
    case 'f':
      return (c) => or(ilike(c.senderEmail, like), ilike(c.senderName, like))!;
    case 'b':
    case 'nq':
      return (c) => ilike(c.content, like);
    case 'm':
      return (c) => ilike(c.msgid, like);
    case 'd': {
      const [from = '', to] = text.split('..');
      const start = day(from, false);
      const end = to === undefined ? day(from, true) : day(to, true);
      return (c) => and(start ? gte(c.date, start) : undefined, end ? lt(c.date, end) : undefined) ?? sql`true`;
    }
    default:
      throw bad(`unknown prefix "${prefix}:" (known: s: f: b: nq: m: d:)`);
  }
}

/** Parse a query; a query that cannot be read is a 400 naming `q`. */
export function parseSearch(q: string): SearchQuery {
  const tokens = tokenize(q);
  if (!tokens.length) throw bad('empty query');
  let pos = 0;
  const peek = () => tokens[pos];

  // or := and (OR and)* ; and := unary ((AND)? unary)* ; unary := NOT unary | ( or ) | term
  function parseOr(): SearchQuery {
    const parts = [parseAnd()];
    while (peek()?.kind === 'op' && (peek() as { op: string }).op === 'OR') {
      pos++;
      parts.push(parseAnd());
    }
    return parts.length === 1 ? parts[0]! : (c) => or(...parts.map((p) => p(c)))!;
  }
  function parseAnd(): SearchQuery {
    const parts = [parseUnary()];
    for (;;) {
      const t = peek();
      if (t?.kind === 'op' && t.op === 'AND') {
        pos++;
        parts.push(parseUnary());
      } else if (t && (t.kind === 'term' || t.kind === '(' || (t.kind === 'op' && t.op === 'NOT'))) {
        parts.push(parseUnary());
      } else break;
    }
    return parts.length === 1 ? parts[0]! : (c) => and(...parts.map((p) => p(c)))!;
  }
  function parseUnary(): SearchQuery {
    const t = tokens[pos++];
    if (!t) throw bad('the query ends too early');
    if (t.kind === 'op' && t.op === 'NOT') {
      const inner = parseUnary();
      return (c) => not(inner(c));
    }
    if (t.kind === '(') {
      const inner = parseOr();
      if (tokens[pos++]?.kind !== ')') throw bad('a "(" is not closed');
      return inner;
    }
    if (t.kind === 'term') return term(t.prefix, t.text);
    throw bad(`unexpected "${t.kind === 'op' ? t.op : t.kind}"`);
  }

  const query = parseOr();
  if (pos < tokens.length) throw bad('unexpected ")"');
  return query;
}
