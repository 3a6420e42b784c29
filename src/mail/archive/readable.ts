/**
 * A stored message made readable: its headers decoded (RFC 2047) and the text of its text parts decoded
 * (transfer encoding and charset); other parts are named, not shown. What a message page prints.
 */
import { decodedHeaders } from '../parse.js';
import { leafParts, parseMime, partText } from '../mime.js';

export interface ReadableMessage {
  headers: Array<{ name: string; value: string }>;
  /** the text parts, in order, separated by a blank line */
  text: string;
  /** parts that are not text: their file name (or type) */
  attachments: string[];
}

const SHOWN = ['from', 'to', 'cc', 'subject', 'date', 'message-id', 'in-reply-to', 'references'];

export function readableMessage(raw: Buffer): ReadableMessage {
  let bin = raw.toString('latin1');
  if (bin.includes('\r')) bin = bin.replace(/\r\n/g, '\n');
  const headers = decodedHeaders(raw)
    .filter((h) => SHOWN.includes(h.name.toLowerCase()))
    .sort((a, b) => SHOWN.indexOf(a.name.toLowerCase()) - SHOWN.indexOf(b.name.toLowerCase()));
  const texts: string[] = [];
  const attachments: string[] = [];
  for (const part of leafParts(parseMime(bin))) {
    if (part.maintype === 'text' && part.disposition !== 'attachment') texts.push(partText(part).text);
    else attachments.push(part.filename ?? part.contentType);
  }
  return { headers, text: texts.join('\n'), attachments };
}
