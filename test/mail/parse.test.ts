import { describe, expect, it } from 'vitest';
import { classifyMail, parseMail, type ClassifyLookup, type ParsedMail } from '../../src/mail/parse.js';
import { cleanSubject, parseSeriesMarker, parseVersion, parseVersionPatchwork } from '../../src/mail/subject.js';
import { fixture } from './corpus.js';

function msg(headers: Record<string, string>, body: string): Buffer {
  const h = { From: 'Ada Lovelace <ada@example.org>', Date: 'Mon, 3 Feb 2025 10:00:00 +0000', 'Message-Id': '<m@example.org>', ...headers };
  return Buffer.from(Object.entries(h).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n\n' + body, 'utf8');
}

function parsed(raw: Buffer): ParsedMail {
  const r = parseMail(raw);
  if (!r.ok) throw new Error(r.reason);
  return r.mail;
}

const DIFF = 'diff --git a/f b/f\nindex 1..2 100644\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n';

describe('subjects', () => {
  it('splits bracketed prefixes and formats the name like Patchwork', () => {
    expect(cleanSubject('[PATCH v2 3/7] net: fix it')).toEqual({ name: '[v2,3/7] net: fix it', prefixes: ['v2', '3/7'], title: 'net: fix it' });
    expect(cleanSubject('[RFC PATCH] mm: idea').prefixes).toEqual(['RFC']);
    expect(cleanSubject('[PATCH net-next] tcp: x').name).toBe('[net-next] tcp: x');
    expect(cleanSubject('Re: [PATCH 1/2] foo').name).toBe('[1/2] foo');
    expect(cleanSubject('Fwd: [dpdk-dev] [PATCH] kni: fix').name).toBe('[dpdk-dev] kni: fix');
  });

  it('drops the project link name like PATCH, case-insensitively', () => {
    expect(cleanSubject('[Buildroot] [PATCH 01/11] pkg: x', ['buildroot']).name).toBe('[01/11] pkg: x');
  });

  it('reads series markers, Mercurial `n of m` included', () => {
    expect(parseSeriesMarker(cleanSubject('[PATCH 1 of 2] hg: x').prefixes)).toEqual([1, 2]);
    expect(cleanSubject('[PATCH 0 of 2 V2] hg: x').prefixes).toEqual(['0 of 2', 'V2']);
    // Patchwork only finds the hg marker right after an upper-case "PATCH "
    expect(parseSeriesMarker(cleanSubject('[patch 2 of 3] hg: x').prefixes)).toEqual([2, 3]);
    expect(parseSeriesMarker(['PATCH1/8'])).toEqual([1, 8]);
  });

  it('reads `[PATCHv2 1/3]` as version 2, where Patchwork says 1 (deviation)', () => {
    const { name, prefixes } = cleanSubject('[PATCHv2 1/3] x: y');
    expect(name).toBe('[PATCHv2,1/3] x: y');
    expect(parseVersion(name, prefixes)).toBe(2);
    expect(parseVersionPatchwork(name, prefixes)).toBe(1);
    expect(parseVersion('[RFC-v3] z', ['RFC-v3'])).toBe(3);
    expect(parseVersion('net: dsa (v3)', [])).toBe(3);
    expect(parseVersion('[dev2] x', ['dev2'])).toBe(1);
  });
});

describe('message parsing', () => {
  it('collects refs newest first: In-Reply-To, then References reversed; a comment after the msgid is dropped', () => {
    const m = parsed(fixture('dmarc-google.eml'));
    expect(m.refs).toEqual(['<octet-1@example.org>']);
    const r = parsed(msg({ 'In-Reply-To': '<c@x>', References: '<a@x> <b@x>\n <c@x>' }, 'text'));
    expect(r.refs).toEqual(['<c@x>', '<b@x>', '<a@x>']);
  });

  it('keeps a commit-message line starting with "diff" in the message (Patchwork #462: deviation)', () => {
    const m = parsed(fixture('commit-message-diff.eml'));
    expect(m.diff!.startsWith('diff --git a/engine.c b/engine.c\n')).toBe(true);
    expect(m.content).toContain('diff of behaviour before and after:\n  before: 9 + 1 = 0');
    expect(m.content).toContain('Signed-off-by: Ada Lovelace');
    expect(m.kind).toBe('patch');
  });

  it('a cover letter with --interdiff is a cover, the interdiff kept apart (Patchwork #468: deviation)', () => {
    const m = parsed(fixture('interdiff-cover.eml'));
    expect(m.kind).toBe('cover');
    expect(m.diff).toBeNull();
    expect(m.interdiff!.startsWith('diff --git a/test.c b/test.c\n')).toBe(true);
    expect(m.content).toContain('Interdiff against v1:\ndiff --git a/test.c b/test.c');
    expect(m.seriesHints.supersedes).toEqual([]);
    expect(m.version).toBe(2);
  });

  it('reads a patch from an application/octet-stream *.patch attachment, skips the image (deviation)', () => {
    const m = parsed(fixture('octet-stream-attachment.eml'));
    expect(m.kind).toBe('patch');
    expect(m.diff).toBe('diff --git a/lex.c b/lex.c\nindex aaaaaaa..bbbbbbb 100644\n--- a/lex.c\n+++ b/lex.c\n@@ -1 +1,2 @@\n int lex(void);\n+int skip_comment(void);\n');
    expect(m.filenames).toEqual(['lex.c']);
    expect(m.tags).toEqual({ acked: 0, reviewed: 1, tested: 0 });
    expect(m.date).toBe('2025-02-04T14:30:00.000Z');
  });

  it('text/x-patch attachments: a bare diff is the diff; several attachments are all kept, in order (deviation)', () => {
    const second = DIFF.replace(/\bf\b/g, 'g');
    const raw = msg(
      { 'Content-Type': 'multipart/mixed; boundary=b', Subject: '[PATCH] two files' },
      `--b\nContent-Type: text/plain\n\nSee attached.\n--b\nContent-Type: text/x-patch; name=a.patch\nContent-Transfer-Encoding: quoted-printable\n\n${DIFF}--b\nContent-Type: text/x-diff\n\n${second}--b--\n`,
    );
    const m = parsed(raw);
    expect(m.diff).toBe(DIFF + second);
    expect(m.content).toBe('See attached.');
  });

  it('decodes base64 and RFC 2047, and a declared charset that does not fit falls back to UTF-8/cp1252 (deviation)', () => {
    const body = Buffer.from('Caf\xe9 au lait\n\n' + DIFF, 'latin1').toString('base64');
    const raw = msg(
      { Subject: '=?UTF-8?B?W1BBVENIXSBjYWbDqTogZml4?=', From: '=?iso-8859-1?q?Ren=E9_Descartes?= <rene@example.org>', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Transfer-Encoding': 'base64' },
      body,
    );
    const m = parsed(raw);
    expect(m.name).toBe('café: fix');
    expect(m.author).toEqual({ name: 'René Descartes', email: 'rene@example.org' });
    expect(m.content).toBe('Café au lait');
    expect(m.diff).toBe(DIFF);
    expect(m.defects.join()).toContain('charset "utf-8" unusable, read as windows-1252');
  });

  it('reads raw UTF-8 header bytes as UTF-8 (Patchwork shows U+FFFD: deviation, see 0014)', () => {
    expect(parsed(msg({ Subject: 'Fix for Rafał' }, DIFF)).name).toBe('Fix for Rafał');
  });

  it('handles CRLF mail: diff stored with LF, same hash', () => {
    const lf = parsed(msg({ Subject: '[PATCH] x' }, 'text\n---\n' + DIFF));
    const crlf = parsed(Buffer.from(msg({ Subject: '[PATCH] x' }, 'text\n---\n' + DIFF).toString('utf8').replace(/\n/g, '\r\n')));
    expect(crlf.diff).toBe(lf.diff);
    expect(crlf.hash).toBe(lf.hash);
  });

  it('"Binary files … differ" is part of the diff (deviation)', () => {
    const m = parsed(msg({ Subject: '[PATCH] logo' }, 'New logo.\n---\ndiff --git a/logo.png b/logo.png\nindex 1..2 100644\nBinary files a/logo.png and b/logo.png differ\n'));
    expect(m.kind).toBe('patch');
    expect(m.diff).toContain('Binary files a/logo.png and b/logo.png differ');
  });

  it('understands svn and hg diffs', () => {
    const svn = parsed(msg({ Subject: 'svn' }, 'Index: a.c\n===================================================================\n--- a.c\t(revision 1)\n+++ a.c\t(working copy)\n@@ -1 +1 @@\n-x\n+y\n'));
    expect(svn.diff!.startsWith('Index: a.c\n====')).toBe(true);
    const hg = parsed(msg({ Subject: '[PATCH 1 of 1] hg' }, '# HG changeset patch\n# User a\nfix\n\ndiff -r 1 -r 2 a.c\n--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n-x\n+y\n'));
    expect(hg.diff!.startsWith('diff -r 1 -r 2 a.c\n')).toBe(true);
    expect(hg.content).toContain('# HG changeset patch');
  });

  it('finds git pull requests, wrapped URLs included', () => {
    const body = 'The following changes since commit abc:\n\n  foo\n\nare available in the git repository at:\n\n  git://git.example.org/linux.git\n  tags/for-linus\n\nfor you to fetch changes up to def:\n';
    expect(parsed(msg({ Subject: '[GIT PULL] x' }, body))).toMatchObject({ kind: 'patch', pullUrl: 'git://git.example.org/linux.git tags/for-linus', diff: null });
  });

  it('extracts trailers and Patchwork tag counts; quoted lines do not count', () => {
    const m = parsed(fixture('dmarc-google.eml'));
    expect(m.tags).toEqual({ acked: 1, reviewed: 0, tested: 1 });
    expect(m.trailers).toEqual([
      { key: 'Acked-by', value: 'Grace Hopper <grace@example.org>' },
      { key: 'Tested-by', value: 'Grace Hopper <grace@example.org>' },
    ]);
    const p = parsed(msg({ Subject: '[PATCH] x' }, 'Fix.\n\nLink: https://bugs.example.org/1\nFixes: 0123456789ab ("old")\nSigned-off-by: A <a@x>\nX-Custom-Trailer: yes\n> Acked-by: quoted <q@x>\n---\n' + DIFF));
    expect(p.trailers.map((t) => t.key)).toEqual(['Link', 'Fixes', 'Signed-off-by', 'X-Custom-Trailer']);
    expect(p.tags.acked).toBe(0);
    // a closing paragraph of prose is not a trailer block; known trailers elsewhere still count
    const prose = parsed(msg({ Subject: 'Re: x' }, 'Reviewed-by: R <r@x>\n\nNote: I only read the\nfirst half of this and the\nrest looked fine\n'));
    expect(prose.trailers).toEqual([{ key: 'Reviewed-by', value: 'R <r@x>' }]);
    const q = parsed(msg({ Subject: '[PATCH] x' }, 'Fix.\n\nLink: https://bugs.example.org/1\nX-Custom-Trailer: yes\nSigned-off-by: A <a@x>\n---\n' + DIFF));
    expect(q.trailers.map((t) => t.key)).toEqual(['Link', 'X-Custom-Trailer', 'Signed-off-by']);
  });

  it('records Supersedes, change-id, base-commit, Based-on and Depends-on', () => {
    const m = parsed(msg({ Subject: '[PATCH v3 0/2] carry' }, 'Cover.\n\nSupersedes: <v2@x>\nBased-on: <base@x>\nDepends-on: <dep@x>\n\n---\nbase-commit: 0123456789abcdef0123456789abcdef01234567\nchange-id: 20250101-carry-abc123\n\nBest regards,\n-- \nAda\n'));
    expect(m.seriesHints).toEqual({ supersedes: ['<v2@x>'], changeId: '20250101-carry-abc123', baseCommit: '0123456789abcdef0123456789abcdef01234567', basedOn: ['<base@x>'], dependsOn: ['<dep@x>'] });
  });

  it('honours Patchwork hint headers', () => {
    expect(parsed(msg({ Subject: '[PATCH] x', 'X-Patchwork-Ignore': 'test' }, DIFF))).toMatchObject({ kind: 'ignored', ignoredReason: 'X-Patchwork-Ignore hint' });
    expect(parsed(msg({ Subject: '[PATCH] x', 'X-Patchwork-Hint': 'ignore' }, DIFF)).kind).toBe('ignored');
    expect(parsed(msg({ Subject: '[PATCH] x', 'X-Patchwork-State': 'RFC', 'X-Patchwork-Delegate': 'a@example.com' }, DIFF)).hints).toEqual({ ignore: false, state: 'RFC', delegate: 'a@example.com' });
  });

  it('list ids in header order', () => {
    expect(parsed(fixture('dmarc-mailman.eml')).listIds).toEqual(['dev.lists.example.org']);
    expect(parsed(msg({ 'X-Mailing-List': 'linux-mips@linux-mips.org', Subject: 'x' }, 'y')).listIds).toEqual(['linux-mips@linux-mips.org']);
  });

  it('drops a mail without From, with the reason; synthesises a stable msgid when Message-Id is missing (deviation)', () => {
    expect(parseMail(Buffer.from('Subject: x\n\nbody'))).toEqual({ ok: false, reason: 'missing From header', msgid: null });
    const a = parsed(Buffer.from('From: a@x\nSubject: [PATCH] x\n\n' + DIFF));
    const b = parsed(Buffer.from('From: a@x\nSubject: [PATCH] x\n\n' + DIFF));
    expect(a.msgidSynthesized).toBe(true);
    expect(a.msgid).toBe(b.msgid);
    expect(a.date).toBeNull();
  });

  it('accepts a missing Subject as empty, and takes the <id> out of a Message-Id with a comment (deviations)', () => {
    const m = parsed(Buffer.from('From: a@x\nMessage-Id: <id@x> (added by gateway)\n\n' + DIFF));
    expect(m).toMatchObject({ subject: '', name: '', kind: 'patch', msgid: '<id@x>' });
  });

  it('reads a multipart without a usable boundary as plain text (deviation)', () => {
    const m = parsed(msg({ Subject: '[PATCH] x', 'Content-Type': 'multipart/mixed' }, 'Fix.\n---\n' + DIFF));
    expect(m.diff).toBe(DIFF);
    expect(m.content).toBe('Fix.\n---');
  });

  it('text between two file diffs goes to the message, not into the diff (deviation)', () => {
    const second = DIFF.replace(/\bf\b/g, 'g');
    const m = parsed(msg({ Subject: '[PATCH] x' }, 'Fix.\n---\n' + DIFF + 'And the header too:\n' + second));
    expect(m.diff).toBe(DIFF + second);
    expect(m.content).toBe('Fix.\n---\nAnd the header too:');
  });

  it('stays fast on hostile input', () => {
    const t = performance.now();
    parseMail(Buffer.from('From: ' + 'x at '.repeat(50000) + '(y)\nSubject: ' + '[a]'.repeat(100000) + '\n\n' + 'The following changes since commit x\n'.repeat(20000)));
    expect(performance.now() - t).toBeLessThan(2000);
  });

  it('takes the date from Received when Date is unreadable', () => {
    const m = parsed(msg({ Date: 'garbage', Received: 'from x by y; Tue, 4 Feb 2025 01:02:03 +0100' }, 'z'));
    expect(m).toMatchObject({ date: '2025-02-04T00:02:03.000Z', dateSource: 'received' });
  });
});

describe('authors', () => {
  it('restores a Mailman DMARC rewrite from Reply-To', () => {
    const m = parsed(fixture('dmarc-mailman.eml'));
    expect(m.author).toEqual({ name: 'Ada Lovelace', email: 'ada@example.org' });
    expect(m.dmarcFrom).toEqual({ name: 'Ada Lovelace via dev-list', email: 'dev@lists.example.org' });
  });

  it('restores a Google Groups rewrite from X-Original-From', () => {
    expect(parsed(fixture('dmarc-google.eml')).author).toEqual({ name: 'Grace Hopper', email: 'grace@example.org' });
  });

  it('reads `user at domain` forms', () => {
    expect(parsed(msg({ From: 'ada at example.org (Ada Lovelace)' }, 'x')).author).toEqual({ name: 'Ada Lovelace', email: 'ada@example.org' });
    expect(parsed(msg({ From: 'Ada Lovelace <ada at example.org>' }, 'x')).author).toEqual({ name: 'Ada Lovelace', email: 'ada@example.org' });
    expect(parsed(msg({ From: 'ada@example.org' }, 'x')).author).toEqual({ name: null, email: 'ada@example.org' });
  });
});

describe('classification with a lookup of what is stored', () => {
  const store = (patches: string[], covers: string[], coverNames: string[] = []): ClassifyLookup => ({
    findPatch: (m) => (patches.includes(m) ? m : undefined),
    findCover: (m) => (covers.includes(m) ? m : undefined),
    countCoversNamed: (n) => coverNames.filter((c) => c === n).length,
  });

  it('a reply is a comment on the first known patch among its refs, then on a cover, else ignored', () => {
    const reply = parsed(msg({ Subject: 'Re: [PATCH 1/2] x', 'In-Reply-To': '<p1@x>', References: '<c@x> <p1@x>' }, 'LGTM'));
    expect(classifyMail(reply, store(['<p1@x>'], ['<c@x>']))).toEqual({ class: 'comment', on: 'patch', parent: '<p1@x>' });
    expect(classifyMail(reply, store([], ['<c@x>']))).toEqual({ class: 'comment', on: 'cover', parent: '<c@x>' });
    expect(classifyMail(reply, store([], []))).toEqual({ class: 'ignored', reason: 'reply to an unknown message' });
  });

  it('a 0/N mail is a cover when unthreaded or its name is new, else a comment', () => {
    const cover = parsed(msg({ Subject: '[PATCH 0/2] series', 'In-Reply-To': '<old@x>' }, 'About.'));
    expect(classifyMail(cover, store([], []))).toEqual({ class: 'cover' });
    expect(classifyMail(cover, store([], ['<old@x>'], ['[0/2] series']))).toEqual({ class: 'comment', on: 'cover', parent: '<old@x>' });
  });

  it('a Re: with a diff is a comment, not a patch, as in Patchwork', () => {
    const m = parsed(msg({ Subject: 'Re: [PATCH] x', 'In-Reply-To': '<p@x>' }, 'Try this:\n\n' + DIFF));
    expect(m.kind).toBe('comment');
    expect(m.diff).toBeNull();
    expect(m.content).toContain('diff --git');
  });
});
