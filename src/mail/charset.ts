import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';

/**
 * Byte → text decoding with the fallbacks mail needs: a declared charset when it is known and the bytes
 * fit it, else UTF-8, else windows-1252 (which, as WHATWG defines it, never fails: it is a superset of
 * latin-1's printable range and maps the rest to C1 controls, so it also covers Patchwork's final latin-1 step).
 */

const decoders = new Map<string, TextDecoder | null>();

function fatalDecoder(label: string): TextDecoder | null {
  let d = decoders.get(label);
  if (d === undefined) {
    try {
      d = new TextDecoder(label, { fatal: true, ignoreBOM: true });
    } catch {
      d = null;
    }
    decoders.set(label, d);
  }
  return d;
}

const cp1252 = new TextDecoder('windows-1252');
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Labels that name US-ASCII: mislabelled 8-bit text under them is nearly always UTF-8, so we try that first. */
const ASCII_LABELS = new Set(['us-ascii', 'ascii', 'ansi_x3.4-1968', 'iso646-us', 'us', '646']);

function isAsciiBytes(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return false;
  return true;
}

export function normalizeCharset(label: string | undefined | null): string | undefined {
  if (!label) return undefined;
  // RFC 2231 language suffix (utf-8*en) and stray quotes/spaces are not part of the name.
  const cleaned = label.replace(/\*.*$/, '').replace(/["'\s]/g, '').toLowerCase();
  return cleaned === 'utf8' ? 'utf-8' : cleaned || undefined;
}

export interface Decoded {
  text: string;
  /** the charset actually used: the declared one, or the fallback that worked */
  charset: string;
}

export function decodeBytes(bytes: Uint8Array, declared?: string | null): Decoded {
  if (isAsciiBytes(bytes)) return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1'), charset: 'us-ascii' };
  const label = normalizeCharset(declared);
  if (label && !ASCII_LABELS.has(label) && label !== 'utf-8') {
    const d = fatalDecoder(label);
    if (d) {
      try {
        return { text: d.decode(bytes), charset: label };
      } catch {
        // fall through to the common charsets
      }
    }
  }
  if (isUtf8(bytes)) return { text: utf8.decode(bytes), charset: 'utf-8' };
  return { text: cp1252.decode(bytes), charset: 'windows-1252' };
}

/** Bytes held in a latin-1 string (one char per byte) → text. */
export function decodeLatin1Bytes(binary: string, declared?: string | null): Decoded {
  return decodeBytes(Buffer.from(binary, 'latin1'), declared);
}

/** True when a charset label is one we can decode (used to report broken charsets). */
export function isKnownCharset(label: string | undefined | null): boolean {
  const l = normalizeCharset(label);
  return !!l && (ASCII_LABELS.has(l) || fatalDecoder(l) !== null);
}
