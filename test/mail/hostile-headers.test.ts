/** Header values that used to cost seconds or break the database: cut, cleaned and bounded in the parser. */
import { describe, expect, it } from 'vitest';
import { FIELD_MAX_CHARS } from '../../src/mail/headers.js';
import { MAX_REFERENCES, parseMail, type ParsedMail } from '../../src/mail/parse.js';

function parsed(headers: string[], body = 'Hello.'): ParsedMail {
  const r = parseMail(Buffer.from(['From: Ada <ada@example.org>', ...headers, '', body, ''].join('\n')));
  if (!r.ok) throw new Error(r.reason);
  return r.mail;
}

describe('References', () => {
  it('60,000 references (a 2 MB header) parse in linear time; In-Reply-To and the newest are kept, at most MAX_REFERENCES', () => {
    const refs = Array.from({ length: 60_000 }, (_, i) => `<ref-${i}@example.org>`);
    const started = performance.now();
    const mail = parsed(['Subject: Re: x', 'Message-Id: <m@example.org>', 'In-Reply-To: <parent@example.org>', `References: ${refs.join('\n ')}`]);
    const elapsed = performance.now() - started;
    // the quadratic scan took over 10 s here; linear work is a few tens of milliseconds
    expect(elapsed).toBeLessThan(2000);
    expect(mail.refs).toHaveLength(MAX_REFERENCES);
    expect(mail.refs[0]).toBe('<parent@example.org>');
    expect(mail.refs[1]).toBe('<ref-59999@example.org>');
    expect(mail.refs.at(-1)).toBe(`<ref-${60_000 - MAX_REFERENCES + 1}@example.org>`);
  });

  it('drops repeated references and cuts each to the msgid limit', () => {
    const long = `<${'r'.repeat(1000)}@example.org>`;
    const mail = parsed(['Subject: Re: x', 'Message-Id: <m@example.org>', 'In-Reply-To: <a@example.org>', `References: <b@example.org> ${long} <a@example.org> <b@example.org>`]);
    expect(mail.refs).toEqual(['<a@example.org>', '<b@example.org>', long.slice(0, FIELD_MAX_CHARS)]);
  });
});

describe('over-long and NUL-bearing fields', () => {
  it('cuts the Message-Id, subject and name to 255 characters, as Patchwork does', () => {
    const msgid = `<${'m'.repeat(500_000)}@example.org>`;
    const mail = parsed([`Subject: [PATCH v2 1/3] ${'word '.repeat(200_000)}`, `Message-Id: ${msgid}`]);
    expect(mail.msgid).toBe(msgid.slice(0, 255));
    expect(mail.subject).toHaveLength(255);
    expect(mail.name).toHaveLength(255);
    expect(mail.name.startsWith('[v2,1/3] word word')).toBe(true);
    expect(mail.title).toHaveLength(255);
    expect(mail.version).toBe(2);
    expect(mail.seriesMarker).toEqual([1, 3]);
  });

  it('removes a NUL that only decoding produces (an encoded word, a base64 body)', () => {
    const body = Buffer.from('before\0after\n').toString('base64');
    const mail = parsed(['Subject: =?utf-8?q?[PATCH_0/2]_a=00b?=', 'Message-Id: <nul@example.org>', 'Content-Transfer-Encoding: base64'], body);
    expect(mail.name).toBe('[0/2] ab');
    expect(mail.subject).toBe('[PATCH 0/2] ab');
    expect(mail.content).toBe('beforeafter');
    expect(JSON.stringify(mail)).not.toContain('\\u0000');
  });
});
