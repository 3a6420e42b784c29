import { decodeBytes, normalizeCharset } from './charset.js';
import { decodeParam, HeaderList, splitHeaders } from './headers.js';

/**
 * The MIME tree of a message, parsed the way Python's email package does (which is what Patchwork sees),
 * but synchronously and without losing bytes: bodies stay latin-1 strings until a charset is chosen.
 */

export interface MimePart {
  headers: HeaderList;
  /** lower-cased `type/subtype`; `text/plain` when absent or malformed, as Python defaults it */
  contentType: string;
  maintype: string;
  subtype: string;
  params: Map<string, string>;
  /** raw (transfer-encoded) body of a leaf part, latin-1 */
  body: string;
  /** sub-parts of a multipart, or the enclosed message of a message/rfc822 */
  parts: MimePart[];
  /** attachment file name from Content-Disposition or Content-Type */
  filename?: string;
  disposition?: string;
}

const MAX_DEPTH = 24;

/** Split `v; a=b; c="d"` into its first token and parameters (RFC 2231 continuations joined). */
export function parseParams(value: string): { value: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  const semi = findUnquoted(value, ';');
  const first = (semi === -1 ? value : value.slice(0, semi)).trim();
  let rest = semi === -1 ? '' : value.slice(semi + 1);
  const continuations = new Map<string, Map<number, string>>();
  while (rest.length) {
    const next = findUnquoted(rest, ';');
    const piece = next === -1 ? rest : rest.slice(0, next);
    rest = next === -1 ? '' : rest.slice(next + 1);
    const eq = piece.indexOf('=');
    if (eq === -1) continue;
    const key = piece.slice(0, eq).trim().toLowerCase();
    let v = piece.slice(eq + 1).trim();
    if (v.startsWith('"')) {
      const close = v.lastIndexOf('"');
      v = (close > 0 ? v.slice(1, close) : v.slice(1)).replace(/\\(.)/g, '$1');
    }
    const cont = /^(.*?)\*(\d+)\*?$/.exec(key);
    if (cont) {
      const base = cont[1]!;
      let map = continuations.get(base);
      if (!map) continuations.set(base, (map = new Map()));
      map.set(Number(cont[2]), v);
      continue;
    }
    params.set(key.replace(/\*$/, ''), v);
  }
  for (const [base, map] of continuations) {
    const joined = [...map.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]).join('');
    if (!params.has(base)) params.set(base, joined);
  }
  return { value: first, params };
}

function findUnquoted(s: string, ch: string): number {
  let inQuote = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && inQuote) i++;
    else if (c === '"') inQuote = !inQuote;
    else if (c === ch && !inQuote) return i;
  }
  return -1;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function parseMime(bin: string, defaultType = 'text/plain', depth = 0): MimePart {
  const { headers, body } = splitHeaders(bin);
  return buildPart(headers, body, defaultType, depth);
}

export function buildPart(headers: HeaderList, body: string, defaultType = 'text/plain', depth = 0): MimePart {
  const ctRaw = headers.first('content-type');
  let contentType = defaultType;
  let params = new Map<string, string>();
  if (ctRaw !== undefined) {
    const parsed = parseParams(ctRaw.replace(/\n/g, ' '));
    const t = parsed.value.toLowerCase();
    contentType = t.split('/').length === 2 ? t : 'text/plain';
    params = parsed.params;
  }
  const slash = contentType.indexOf('/');
  const part: MimePart = {
    headers,
    contentType,
    maintype: contentType.slice(0, slash),
    subtype: contentType.slice(slash + 1),
    params,
    body,
    parts: [],
  };
  const cd = headers.first('content-disposition');
  if (cd !== undefined) {
    const parsed = parseParams(cd.replace(/\n/g, ' '));
    part.disposition = parsed.value.toLowerCase();
    const fn = parsed.params.get('filename');
    if (fn !== undefined) part.filename = decodeParam(fn);
  }
  if (part.filename === undefined && params.has('name')) part.filename = decodeParam(params.get('name')!);
  if (depth >= MAX_DEPTH) return part;

  if (part.maintype === 'multipart') {
    const boundary = params.get('boundary');
    const split = boundary ? splitMultipart(body, boundary) : null;
    if (split) {
      const childDefault = part.subtype === 'digest' ? 'message/rfc822' : 'text/plain';
      part.parts = split.map((p) => parseMime(p, childDefault, depth + 1));
      part.body = '';
    } else {
      // No usable boundary: Python keeps the body as an opaque multipart and Patchwork then sees no text
      // at all; we read it as the plain text it usually is (see the README, "Where the mail parser differs from Patchwork").
      part.contentType = 'text/plain';
      part.maintype = 'text';
      part.subtype = 'plain';
    }
  } else if (part.contentType === 'message/rfc822') {
    const inner = transferDecode(part);
    part.parts = [parseMime(inner.replace(/\r\n/g, '\n'), 'text/plain', depth + 1)];
  }
  return part;
}

/** Body pieces between `--boundary` lines, or null when no opening boundary is present. */
function splitMultipart(body: string, boundary: string): string[] | null {
  const re = new RegExp('^--' + escapeRegExp(boundary) + '(--)?[ \\t]*$', 'gm');
  const parts: string[] = [];
  let start = -1;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body)) !== null) {
    if (start !== -1) {
      // the newline before a boundary belongs to the boundary
      const end = m.index > start ? m.index - 1 : m.index;
      parts.push(body.slice(start, Math.max(start, end)));
    }
    if (m[1]) {
      start = -1;
      break;
    }
    start = m.index + m[0].length + 1;
    if (m[0].length === 0) re.lastIndex++;
  }
  if (start !== -1 && start <= body.length) parts.push(body.slice(start));
  return parts.length || start !== -1 ? parts : null;
}

const B64_JUNK = /[^A-Za-z0-9+/]/g;

export function decodeBase64(s: string): string {
  let clean = s.replace(B64_JUNK, '');
  const rem = clean.length % 4;
  if (rem === 1) clean = clean.slice(0, -1);
  return Buffer.from(clean, 'base64').toString('latin1');
}

export function decodeQuotedPrintable(s: string): string {
  // Like Python's a2b_qp (what Patchwork sees): soft breaks joined, trailing blanks kept.
  return s
    .replace(/=\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function decodeUuencode(s: string): string {
  const out: string[] = [];
  let inBody = false;
  for (const line of s.split('\n')) {
    if (!inBody) {
      if (/^begin\s/.test(line)) inBody = true;
      continue;
    }
    if (line === 'end' || line === '`' || line === '') {
      if (line === 'end') break;
      continue;
    }
    const n = (line.charCodeAt(0) - 32) & 63;
    const bytes: number[] = [];
    for (let i = 1; i + 3 < line.length + 3 && bytes.length < n; i += 4) {
      const c = [0, 1, 2, 3].map((k) => ((line.charCodeAt(i + k) || 32) - 32) & 63);
      bytes.push(((c[0]! << 2) | (c[1]! >> 4)) & 255, ((c[1]! << 4) | (c[2]! >> 2)) & 255, ((c[2]! << 6) | c[3]!) & 255);
    }
    out.push(String.fromCharCode(...bytes.slice(0, n)));
  }
  return out.join('');
}

/** The body bytes (latin-1 string) with the Content-Transfer-Encoding undone. */
export function transferDecode(part: MimePart): string {
  const cte = (part.headers.first('content-transfer-encoding') ?? '').trim().toLowerCase();
  if (cte === 'base64') return decodeBase64(part.body);
  if (cte === 'quoted-printable') return decodeQuotedPrintable(part.body);
  if (cte === 'x-uuencode' || cte === 'uuencode' || cte === 'x-uue' || cte === 'uue') return decodeUuencode(part.body);
  return part.body;
}

export interface DecodedText {
  text: string;
  charset: string;
  declaredCharset?: string;
}

/** Transfer-decode and charset-decode a leaf part into text with LF line endings. */
export function partText(part: MimePart): DecodedText {
  const bytes = transferDecode(part);
  const declared = normalizeCharset(part.params.get('charset'));
  const { text, charset } = decodeBytes(Buffer.from(bytes, 'latin1'), declared);
  return { text: text.includes('\r') ? text.replace(/\r\n/g, '\n') : text, charset, declaredCharset: declared };
}

/** Leaf parts in document order (message/rfc822 contents included), like Python's `walk()`. */
export function* leafParts(part: MimePart): Generator<MimePart> {
  if (part.parts.length === 0) {
    if (part.maintype !== 'multipart') yield part;
    return;
  }
  for (const p of part.parts) yield* leafParts(p);
}
