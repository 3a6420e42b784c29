import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { isEnvelopeLine, readMaildir, readMbox, type MboxMessage } from '../../src/mail/mbox.js';

async function split(text: string | Buffer, chunkSize = 1 << 16, options = {}): Promise<MboxMessage[]> {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunkSize) chunks.push(buf.subarray(i, i + chunkSize));
  const out: MboxMessage[] = [];
  for await (const m of readMbox(Readable.from(chunks), options)) out.push(m);
  return out;
}

const texts = (ms: MboxMessage[]): string[] => ms.map((m) => m.raw.toString('utf8'));

const ARCHIVE = [
  'From 499d36d946a6f1f654eebad500742eb5c3057569 Mon Sep 17 00:00:00 2001',
  'From: A <a@x>',
  'Subject: one',
  '',
  'From the start of time, bodies have said "From ".',
  '>From quoted once',
  '>>From quoted twice',
  '',
  'From here on, no time of day: still body',
  '',
  'From a@x  Thu Sep 15 14:06:56 2016',
  'From: B <b@x>',
  'Subject: two',
  '',
  'body two',
  'From c at x.org  Wed Jun  1 20:00:54 2016',
  'From: C <c@x>',
  'Subject: three',
  '',
  'body three',
  '',
].join('\n');

describe('readMbox', () => {
  it('splits on envelopes only, keeps body From lines, unquotes mboxrd', async () => {
    const ms = await split(ARCHIVE);
    expect(texts(ms)).toEqual([
      'From: A <a@x>\nSubject: one\n\nFrom the start of time, bodies have said "From ".\nFrom quoted once\n>From quoted twice\n\nFrom here on, no time of day: still body\n',
      'From: B <b@x>\nSubject: two\n\nbody two',
      'From: C <c@x>\nSubject: three\n\nbody three',
    ]);
    expect(ms.map((m) => m.envelope)).toEqual([
      'From 499d36d946a6f1f654eebad500742eb5c3057569 Mon Sep 17 00:00:00 2001',
      'From a@x  Thu Sep 15 14:06:56 2016',
      'From c at x.org  Wed Jun  1 20:00:54 2016',
    ]);
    expect(ms.map((m) => m.index)).toEqual([0, 1, 2]);
    expect(ms[1]!.offset).toBe(Buffer.byteLength(ARCHIVE.slice(0, ARCHIVE.indexOf('From a@x  Thu'))));
  });

  it('can leave mboxo quoting alone', async () => {
    const [first] = await split(ARCHIVE, 1 << 16, { unquoteFrom: false });
    expect(first!.raw.toString()).toContain('\n>From quoted once\n>>From quoted twice\n');
  });

  it('gives the same messages whatever the chunk boundaries', async () => {
    const whole = texts(await split(ARCHIVE));
    for (const size of [1, 2, 5, 7, 64]) expect(texts(await split(ARCHIVE, size))).toEqual(whole);
  });

  it('handles CRLF archives', async () => {
    const ms = await split(ARCHIVE.replace(/\n/g, '\r\n'), 13);
    expect(ms).toHaveLength(3);
    expect(ms[1]!.raw.toString()).toBe('From: B <b@x>\r\nSubject: two\r\n\r\nbody two');
    expect(ms[0]!.raw.toString()).toContain('\r\nFrom quoted once\r\n');
  });

  it('reads a file that is one bare message (no envelope) as one message', async () => {
    expect(texts(await split('From: A <a@x>\nSubject: s\n\nbody\n'))).toEqual(['From: A <a@x>\nSubject: s\n\nbody']);
    expect(await split('')).toEqual([]);
  });

  it('cuts a message above maxMessageBytes and flags it', async () => {
    const big = `From x Mon Sep 17 00:00:00 2001\nSubject: big\n\n${'a'.repeat(5000)}\nFrom y Mon Sep 17 00:00:00 2001\nSubject: small\n\nok\n`;
    const ms = await split(big, 100, { maxMessageBytes: 1000 });
    expect(ms.map((m) => [m.raw.length, m.truncated])).toEqual([
      [1000, true],
      [18, false],
    ]);
  });

  it('streams: the first message comes out before the source is read to the end', async () => {
    let pulled = 0;
    async function* source(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 10_000; i++) {
        pulled++;
        yield Buffer.from(`From x Mon Sep 17 00:00:00 2001\nSubject: ${i}\n\nbody ${i}\n\n`);
      }
    }
    const it = readMbox(source());
    const first = await it.next();
    expect(first.value?.raw.toString()).toBe('Subject: 0\n\nbody 0\n');
    expect(pulled).toBeLessThan(5);
    let n = 1;
    for await (const _ of it) n++;
    expect(n).toBe(10_000);
  });

  it('recognises envelope lines', () => {
    expect(isEnvelopeLine('From foo', { atStart: true, nextIsHeader: false })).toBe(true);
    expect(isEnvelopeLine('From patchwork Wed Jun  1 20:00:54 2016', { atStart: false, nextIsHeader: false })).toBe(true);
    expect(isEnvelopeLine('From - Fri Jan  4 14:30:00 2008', { atStart: false, nextIsHeader: false })).toBe(true);
    expect(isEnvelopeLine('From what I saw at 10:30 it broke', { atStart: false, nextIsHeader: false })).toBe(false);
    expect(isEnvelopeLine('From: header', { atStart: false, nextIsHeader: true })).toBe(false);
  });
});

describe('readMaildir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'maildir-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads cur/ then new/, each in file-name order, skipping tmp/ and dot files', async () => {
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub));
    writeFileSync(join(dir, 'cur', '1700000002.M2.host:2,S'), 'Subject: b\n\nb\n');
    writeFileSync(join(dir, 'cur', '1700000001.M1.host:2,S'), 'Subject: a\n\na\n');
    writeFileSync(join(dir, 'cur', '.hidden'), 'x');
    writeFileSync(join(dir, 'new', '1700000003.M3.host'), 'Subject: c\r\n\r\nc\r\n');
    writeFileSync(join(dir, 'tmp', '1700000004.M4.host'), 'Subject: half-written\n');
    const got: string[] = [];
    for await (const m of readMaildir(dir)) got.push(m.raw.toString());
    expect(got).toEqual(['Subject: a\n\na\n', 'Subject: b\n\nb\n', 'Subject: c\r\n\r\nc\r\n']);
  });

  it('a folder without cur/ or new/ yields nothing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'maildir-empty-'));
    const got = [];
    for await (const m of readMaildir(empty)) got.push(m);
    expect(got).toEqual([]);
    rmSync(empty, { recursive: true });
  });
});
