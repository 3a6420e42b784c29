import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { describeMessage, mailParseCommand } from '../../src/mail/describe.js';
import { CORPUS, corpusMessages, FIXTURES, fixture } from './corpus.js';

describe('describeMessage', () => {
  it('describes a patch with everything the CLI prints', async () => {
    const [raw] = await corpusMessages('series/base-cover-letter.mbox').then((r) => r.slice(1));
    expect(describeMessage(raw!)).toMatchObject({
      status: 'parsed',
      class: 'patch',
      msgid: '<1473632524-8585-2-git-send-email-stephenfinucane@gmail.com>',
      name: '[1/2] test: Add some lorem ipsum',
      prefixes: ['1/2'],
      version: 1,
      series_marker: [1, 2],
      refs: ['<1473632524-8585-1-git-send-email-stephenfinucane@gmail.com>'],
      author: { name: 'Stephen Finucane', email: 'stephenfinucane@gmail.com' },
      has_diff: true,
      hash: '26b6c59a31ac0e6854a9c4f93f4b19e2c2172ff0',
      pull_url: null,
      tags: { acked: 0, reviewed: 0, tested: 0 },
    });
  });

  it('describes a pull request and a dropped mail', () => {
    const pull = describeMessage(readFileSync(resolve(CORPUS, 'mail/0001-git-pull-request.mbox')));
    expect(pull).toMatchObject({ class: 'patch', has_diff: false, pull_url: 'git://git.kernel.org/pub/scm/linux/kernel/git/benh/powerpc.git next' });
    expect(describeMessage(Buffer.from('Subject: no sender\n\nhello\n'))).toEqual({ status: 'dropped', reason: 'missing From header', msgid: null });
  });

  it('is plain JSON (round-trips)', () => {
    const d = describeMessage(fixture('dmarc-google.eml'));
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    expect(d).toMatchObject({ class: 'comment', date: '2025-02-05T13:00:00.000Z', list_id: 'compilers.googlegroups.com' });
  });
});

describe('mailParseCommand', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mail-parse-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (path: string): Promise<Array<Record<string, unknown>>> => {
    const lines: string[] = [];
    const n = await mailParseCommand(path, (l) => lines.push(l));
    expect(lines).toHaveLength(n);
    return lines.map((l) => {
      expect(l.endsWith('\n')).toBe(true);
      return JSON.parse(l) as Record<string, unknown>;
    });
  };

  it('prints one JSON line per message of an mbox', async () => {
    const out = await run(resolve(CORPUS, 'series/revision-basic.mbox'));
    expect(out.map((o) => o.class)).toEqual(['cover', 'patch', 'patch', 'cover', 'patch', 'patch']);
    expect(out.map((o) => o.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(out[3]).toMatchObject({ version: 2, name: '[v2,0/2] A sample series' });
  });

  it('reads standard input given as "-": an mbox or one message', async () => {
    const lines: string[] = [];
    const mbox = readFileSync(resolve(CORPUS, 'series/base-cover-letter.mbox'));
    expect(await mailParseCommand('-', (l) => lines.push(l), {}, Readable.from([mbox.subarray(0, 3), mbox.subarray(3)]))).toBe(3);
    expect(await mailParseCommand('-', (l) => lines.push(l), {}, Readable.from([fixture('dmarc-google.eml')]))).toBe(1);
    expect(lines.map((l) => (JSON.parse(l) as { class: string }).class)).toEqual(['cover', 'patch', 'patch', 'comment']);
  });

  it('reads a single message without envelope, and a Maildir folder', async () => {
    const single = await run(resolve(FIXTURES, 'commit-message-diff.eml'));
    expect(single).toHaveLength(1);
    expect(single[0]).toMatchObject({ class: 'patch', diff_first_line: 'diff --git a/engine.c b/engine.c' });

    mkdirSync(join(dir, 'cur'));
    mkdirSync(join(dir, 'new'));
    copyFileSync(resolve(FIXTURES, 'dmarc-mailman.eml'), join(dir, 'new', '1.eml'));
    copyFileSync(resolve(FIXTURES, 'interdiff-cover.eml'), join(dir, 'cur', '2.eml'));
    const md = await run(dir);
    expect(md.map((o) => [o.file, o.class])).toEqual([
      [join(dir, 'cur', '2.eml'), 'cover'],
      [join(dir, 'new', '1.eml'), 'patch'],
    ]);
  });
});
