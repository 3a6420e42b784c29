import { cleanHeader, fitField, type HeaderList } from './headers.js';

export interface Person {
  name: string | null;
  email: string;
}

// Patchwork's split_from_header patterns, tried in order.
const ANGLE = /^"?(.*?)"?\s*<([^>]+)>/;
const AT_WITH_NAME = /^(.*?)\sat\s(.*?)\s*\(([^)]+)\)/;
const PAREN_NAME = /^"?(.*?)"?\s*\(([^)]+)\)/;

/** Split a decoded From-style value into (name, email) exactly as Patchwork does. */
export function splitFromHeader(header: string): [string | null, string] {
  // names and addresses are cut to 255 characters anyway; a bounded input keeps the patterns fast
  const value = header.length > 4096 ? header.slice(0, 4096) : header;
  let m = ANGLE.exec(value);
  if (m) return [m[1]!, m[2]!];
  if (!value.includes('(')) return [null, value];
  m = AT_WITH_NAME.exec(value);
  if (m) return [m[3]!, `${m[1]}@${m[2]}`];
  m = PAREN_NAME.exec(value);
  if (m) return [m[2]!, m[1]!];
  return [null, value];
}

/** `user at example.com` (list archives' anti-spam form) → `user@example.com`. */
function unmangleAt(email: string): string {
  if (email.includes('@')) return email;
  const m = /^(\S+)\s+at\s+(\S+)$/i.exec(email.trim());
  return m ? `${m[1]}@${m[2]}` : email;
}

function tidy(name: string | null, email: string): Person {
  const n = name === null ? null : fitField(name.trim());
  return { name: n, email: fitField(unmangleAt(email.trim())) };
}

/** The author as Patchwork stores it (before any DMARC restoration). Null when From is missing or empty. */
export function parseAuthor(headers: HeaderList): Person | null {
  const from = cleanHeader(headers.first('from'));
  if (!from) return null;
  const [name, email] = splitFromHeader(from);
  if (!email.trim()) return null;
  return tidy(name, email);
}

/** The name part of a DMARC-mangled display name: `X via List` / `'X' via List` / `X via`. */
function strippedViaName(name: string | null): string | null {
  if (!name) return null;
  const at = name.lastIndexOf(' via ');
  if (at !== -1) return name.slice(0, at).trim().replace(/^'+|'+$/g, '');
  if (name.endsWith(' via')) return name.slice(0, -4).trim().replace(/^'+|'+$/g, '');
  return null;
}

/** The list's own posting address, from List-Post (`<mailto:list@host>`). */
export function listPostAddress(headers: HeaderList): string | null {
  const v = cleanHeader(headers.first('list-post'));
  const m = v ? /<mailto:([^>?]+)/i.exec(v) : null;
  return m ? m[1]!.trim() : null;
}

/**
 * Undo a mailing list's DMARC From rewriting (Patchwork's get_original_sender): when the sender is the
 * list itself, the original address is in X-Original-From (Google Groups), else in a Reply-To or Cc entry
 * whose name matches the `X via List` display name (Mailman).
 */
export function restoreDmarcSender(headers: HeaderList, author: Person, listEmail?: string | null): Person & { restored: boolean } {
  const list = listEmail ?? listPostAddress(headers);
  const viaName = strippedViaName(author.name);
  const isList = list ? author.email.toLowerCase() === list.toLowerCase() : false;
  // Without a known list address, a `via` name plus X-Original-From is evidence enough.
  if (!isList && !(viaName && headers.has('x-original-from'))) return { ...author, restored: false };

  const original = cleanHeader(headers.first('x-original-from'));
  if (original) {
    const [oname, oemail] = splitFromHeader(original);
    const p = tidy(viaName ?? oname, oemail);
    return { ...p, restored: true };
  }
  for (const raw of [...headers.all('reply-to'), ...headers.all('cc')]) {
    const value = cleanHeader(raw) ?? '';
    for (const addr of value.split(',')) {
      const [n, e] = splitFromHeader(addr);
      const name = n ? fitField(n.trim()) : n;
      if (name !== null && name === viaName && e.trim()) return { ...tidy(viaName, e), restored: true };
    }
  }
  return { ...author, restored: false };
}
