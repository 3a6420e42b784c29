/**
 * mbox archives as other tools write them: Python's mailbox.mbox (and so Patchwork's parsearchive) splits
 * on every `From ` line; so must we, while a `From ` that is body text stays in its message.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isEnvelopeLine, readMbox, type MboxMessage } from '../../src/mail/mbox.js';
import { parseMail } from '../../src/mail/parse.js';

async function split(text: string, chunkSize = 1 << 16): Promise<MboxMessage[]> {
  const buf = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunkSize) chunks.push(buf.subarray(i, i + chunkSize));
  const out: MboxMessage[] = [];
  for await (const m of readMbox(Readable.from(chunks))) out.push(m);
  return out;
}

const message = (n: number, body = `body ${n}`): string =>
  [`From: Person ${n} <p${n}@example.org>`, `Subject: [PATCH] change ${n}`, `Message-Id: <m${n}@example.org>`, '', body].join('\n');

/** Three messages behind the given envelope lines, with or without a blank line between messages. */
function archive(envelopes: [string, string, string], blankBetween = true): string {
  return envelopes.map((e, i) => `${e}\n${message(i + 1)}\n`).join(blankBetween ? '\n' : '');
}

async function msgids(text: string, chunkSize?: number): Promise<string[]> {
  return (await split(text, chunkSize)).map((m) => {
    const r = parseMail(m.raw);
    return r.ok ? r.mail.msgid : `(${r.reason})`;
  });
}

const STYLES: Record<string, [string, string, string]> = {
  'mboxo/mboxrd From user@host date': ['From a@example.org Sat Nov 21 10:00:00 2026', 'From b@example.org  Sat Nov 21 10:01:00 2026', 'From c@example.org Sat Nov 21 10:02:00 2026'],
  'From user@host with an ISO date': ['From a@example.org 2026-11-21T10:00:00Z', 'From b@example.org 2026-11-21T10:01:00Z', 'From c@example.org 2026-11-21T10:02:00Z'],
  'From nobody': ['From nobody', 'From nobody', 'From nobody'],
  'From A, From B (Patchew test archives)': ['From A', 'From B', 'From C'],
  "git format-patch's From <sha> Mon Sep 17 00:00:00 2001": [
    'From 499d36d946a6f1f654eebad500742eb5c3057569 Mon Sep 17 00:00:00 2001',
    'From 5d2b7c1e1bb2f0ad8d2d0a4b4c9e3f0f1a2b3c4d Mon Sep 17 00:00:00 2001',
    'From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001',
  ],
};

describe('envelope styles', () => {
  for (const [style, envelopes] of Object.entries(STYLES)) {
    it(`${style}: three messages, with or without blank lines between them, whatever the chunking`, async () => {
      const expected = ['<m1@example.org>', '<m2@example.org>', '<m3@example.org>'];
      for (const blank of [true, false]) {
        const text = archive(envelopes, blank);
        for (const size of [1 << 16, 1, 3, 17]) expect(await msgids(text, size), `blank=${blank} chunk=${size}`).toEqual(expected);
      }
      const ms = await split(archive(envelopes));
      expect(ms.map((m) => m.envelope)).toEqual(envelopes);
      expect(ms[2]!.raw.toString()).toBe(message(3));
    });
  }
});

describe('a From line in a body stays body', () => {
  const bodies = [
    'From the docs:\nNote: this is body text.',
    'Quoted text\nFrom my reading of the spec\nSigned-off-by: Ada <ada@example.org>',
    'From here on, no time of day: still body',
    'From 10:30 onwards the build broke.\nDetails: see the log.',
    'From what I saw\n\nFrom then on',
  ];
  for (const body of bodies) {
    it(JSON.stringify(body.split('\n')[0]), async () => {
      const text = `From A\n${message(1, body)}\n\nFrom B\n${message(2)}\n`;
      for (const size of [1 << 16, 1, 5]) {
        const ms = await split(text, size);
        expect(ms.map((m) => m.envelope)).toEqual(['From A', 'From B']);
        expect(ms[0]!.raw.toString()).toBe(message(1, body) + '\n');
      }
    });
  }
});

describe('isEnvelopeLine', () => {
  it('needs a following header line unless the line has the exact envelope shape', () => {
    const next = { atStart: false, nextIsHeader: true };
    const noHeader = { atStart: false, nextIsHeader: false };
    expect(isEnvelopeLine('From A', next)).toBe(true);
    expect(isEnvelopeLine('From A', noHeader)).toBe(false);
    expect(isEnvelopeLine('From nobody', next)).toBe(true);
    expect(isEnvelopeLine('From a at example.org Sat, 21 Nov 2026 10:00', next)).toBe(true);
    expect(isEnvelopeLine('From the docs:', next)).toBe(false);
    expect(isEnvelopeLine('From my reading of the spec', next)).toBe(false);
    expect(isEnvelopeLine('From 499d36d946a6f1f654eebad500742eb5c3057569 Mon Sep 17 00:00:00 2001', noHeader)).toBe(true);
  });
});
