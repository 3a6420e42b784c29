/**
 * Messages as public-inbox serves them: mboxrd, each message after the fixed envelope line public-inbox
 * writes (no sender or date of ours is invented), every `From ` line of the message, quoted or not, quoted
 * once more, and a blank line after each message. Readers that split mboxrd (git mailsplit --mboxrd, b4,
 * lei, our own importer) get the received bytes back.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

export const MBOXRD_ENVELOPE = 'From mboxrd@z Thu Jan  1 00:00:00 1970\n';

const FROM_LINE = /^(>*From )/gm;

/** One message as an mboxrd entry. */
export function mboxrdEntry(raw: Buffer): Buffer {
  // latin-1 maps every byte to one character and back, so the bytes come out as they went in
  let text = raw.toString('latin1');
  // a mail piped in by an MTA may still start with its envelope: ours replaces it
  if (text.startsWith('From ')) text = text.slice(text.indexOf('\n') + 1);
  text = text.replace(FROM_LINE, '>$1');
  if (!text.endsWith('\n')) text += '\n';
  return Buffer.concat([Buffer.from(MBOXRD_ENVELOPE, 'latin1'), Buffer.from(text, 'latin1'), Buffer.from('\n')]);
}

/** Messages, in the given order, as one mboxrd file. */
export function mboxrd(raws: Buffer[]): Buffer {
  return Buffer.concat(raws.map(mboxrdEntry));
}

/** The thread download (`t.mbox.gz`): the mboxrd file gzipped. */
export async function gzippedMboxrd(raws: Buffer[]): Promise<Buffer> {
  return gzipAsync(mboxrd(raws));
}
