/**
 * The public-inbox paths over the mail store: a `git format-patch` series with a cover letter and
 * reviewers' replies is stored, then read back as /raw, t.mbox.gz, the message page and the Atom feed;
 * with b4 installed, `b4 am`, `b4 shazam` and `b4 mbox` are run against the live service and what they
 * produce is applied with `git am` (trailers from the replies included).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/app.js';
import { Authenticator } from '../../src/auth/authenticator.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { createLogger } from '../../src/log.js';
import { readMbox } from '../../src/mail/mbox.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createProject } from '../../src/mail/store/projects.js';
import { basicAuth } from '../helpers/api.js';
import { createTestDatabase } from '../helpers/db.js';
import { createUpstreamRepo, GIT, makeTempDir, removeTempDirs, testGitEnv, type TestRepo } from '../helpers/git-repo.js';
import { TEST_PASSWORD, TEST_USER } from '../helpers/service.js';

const LIST = 'demo.example.org';

let handle: Awaited<ReturnType<typeof createTestDatabase>>;
let store: MailStore;
let upstream: TestRepo;
let base: string;
/** the stored mails by message id (without brackets), as received */
const received = new Map<string, Buffer>();
let coverId: string;
let patchIds: string[];

async function appWith(readAuth: boolean) {
  const authenticator = new Authenticator({ user: TEST_USER, passwordHash: await hashPassword(TEST_PASSWORD), db: handle.db });
  return createApi({
    db: handle.db,
    authenticator,
    logger: createLogger('silent'),
    readAuth,
    bodyLimit: 64 * 1024,
  });
}
let app: Awaited<ReturnType<typeof appWith>>;

const git = (cwd: string, ...args: string[]) => execFileSync(GIT, args, { cwd, env: testGitEnv, encoding: 'utf8' });
const msgidOf = (raw: Buffer) => /^Message-ID:\s*<([^>]+)>/im.exec(raw.toString('latin1'))![1]!;
/** b4's encoding of a message id in a URL (Python's quote_plus): `@` and `/` are encoded too */
const quoted = (id: string) => encodeURIComponent(id).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
/** what a received mail is in mboxrd: without the envelope git format-patch wrote */
const withoutEnvelope = (raw: Buffer) => (raw.toString('latin1').startsWith('From ') ? raw.subarray(raw.indexOf(0x0a) + 1) : raw);

function reply(id: string, to: string, subject: string, who: string, body: string, date: string): Buffer {
  return Buffer.from(
    [`From: ${who}`, `To: ${LIST}`, `Subject: Re: ${subject}`, `Date: ${date}`, `Message-Id: <${id}>`, `In-Reply-To: <${to}>`, `References: <${coverId}> <${to}>`, '', body, ''].join('\n'),
  );
}

async function storeAll(raws: Buffer[]) {
  const outcomes = await store.storeBatch(raws.map((raw) => ({ raw, listId: LIST })));
  for (const raw of raws) received.set(msgidOf(raw), raw);
  return outcomes;
}

beforeAll(async () => {
  handle = await createTestDatabase();
  store = new MailStore(handle.db);
  app = await appWith(false);
  await createProject(handle.db, { linkName: 'demo', listId: LIST });
  upstream = createUpstreamRepo();
  base = upstream.head();
  upstream.commit('lib: add d\n\nFrom now on d exists too.\nA longer explanation.', { files: { 'src/lib.c': 'int a;\nint b;\nint c;\nint d;\n' } });
  upstream.commit('docs: café <notes> & more', { files: { 'NOTES.md': 'Crème brûlée: ✓\n' }, author: { name: 'Zoë Bâtisseur', email: 'zoe@example.org' } });
  upstream.commit('readme: drop the greeting', { files: { 'README.md': null, 'src/new.c': 'int main(void) { return 0; }\n' } });

  const out = makeTempDir('pt-fp-');
  upstream.git('format-patch', '--quiet', '--thread', '--cover-letter', '-o', out, `${base}..HEAD`);
  const files = readdirSync(out).sort().map((f) => readFileSync(join(out, f)));
  const outcomes = await storeAll(files);
  expect(outcomes.map((o) => o.status)).toEqual(['cover', 'patch', 'patch', 'patch']);
  [coverId, ...patchIds] = files.map(msgidOf) as [string, ...string[]];

  const replies = await storeAll([
    reply('review-1@example.org', patchIds[0]!, '[PATCH 1/3] lib: add d', 'Rev Iewer <rev@example.org>', 'Looks right.\n\nReviewed-by: Rev Iewer <rev@example.org>', 'Fri, 02 Jan 2099 10:00:00 +0000'),
    reply('test/2+x@example.org', patchIds[1]!, '[PATCH 2/3] docs', 'Tess Ter <tess@example.org>', 'Works here.\n\nTested-by: Tess Ter <tess@example.org>', 'Fri, 02 Jan 2099 11:00:00 +0000'),
    reply('ack-3@example.org', patchIds[2]!, '[PATCH 3/3] readme', 'Ack Er <ack@example.org>', 'Acked-by: Ack Er <ack@example.org>', 'Fri, 02 Jan 2099 12:00:00 +0000'),
  ]);
  expect(replies.map((o) => o.status)).toEqual(['comment', 'comment', 'comment']);
}, 60_000);

afterAll(async () => {
  await handle?.close();
  removeTempDirs();
});

describe('/lists/<list>/<msgid>/raw', () => {
  it('answers the message as received, as a one-message mboxrd (From lines quoted)', async () => {
    const res = await app.request(`/lists/demo/${quoted(patchIds[0]!)}/raw`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const body = Buffer.from(await res.arrayBuffer());
    const mail = withoutEnvelope(received.get(patchIds[0]!)!);
    expect(body.toString('latin1')).toContain('\n>From now on d exists too.\n');
    expect(body).toEqual(Buffer.concat([Buffer.from('From mboxrd@z Thu Jan  1 00:00:00 1970\n'), Buffer.from(mail.toString('latin1').replace(/^From /gm, '>From '), 'latin1'), Buffer.from('\n')]));
    // and our own importer reads the received bytes back from it
    const back: Buffer[] = [];
    for await (const m of readMbox([body])) back.push(m.raw);
    expect(back.map((b) => b.toString('latin1'))).toEqual([mail.toString('latin1')]);
  });

  it('finds a message id with `/` and `+`, percent-encoded or not where that is unambiguous', async () => {
    for (const path of [`/lists/demo/${quoted('test/2+x@example.org')}/raw`, '/lists/demo/test%2F2+x@example.org/raw']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toContain('Tested-by: Tess Ter <tess@example.org>');
    }
  });

  it('answers 404 for an unknown message, an unknown list, or a message of another list', async () => {
    await createProject(handle.db, { linkName: 'other', listId: 'other.example.org' });
    for (const path of ['/lists/demo/nope@example.org/raw', `/lists/nolist/${quoted(patchIds[0]!)}/raw`, `/lists/other/${quoted(patchIds[0]!)}/raw`, '/lists/demo/nope@example.org/t.mbox.gz', '/lists/demo/nope@example.org/']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
  });

  it('answers 400 naming the field for a message id that is not valid percent-encoding', async () => {
    const res = await app.request('/lists/demo/%E0%A4%A/raw');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { field: 'msgid' } });
  });
});

describe('/lists/<list>/<msgid> (b4 looks the list up with HEAD)', () => {
  it('redirects a known message to its absolute page URL; an unknown one is a 404, not a redirect', async () => {
    const res = await app.request(`http://archive.test/lists/demo/${quoted(patchIds[1]!)}`, { method: 'HEAD' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe(`http://archive.test/lists/demo/${encodeURIComponent(patchIds[1]!).replace(/%40/g, '@')}/`);
    const unknown = await app.request('http://archive.test/lists/demo/nope@example.org', { method: 'HEAD' });
    expect(unknown.status).toBe(404);
  });
});

describe('/lists/<list>/<msgid>/t.mbox.gz', () => {
  it('is the whole thread, gzipped mboxrd, oldest first, whichever message of it is asked for', async () => {
    const everything = [coverId, ...patchIds, 'review-1@example.org', 'test/2+x@example.org', 'ack-3@example.org'].sort();
    for (const id of [coverId, patchIds[2]!, 'review-1@example.org']) {
      const res = await app.request(`/lists/demo/${quoted(id)}/t.mbox.gz`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/gzip');
      const mails: Buffer[] = [];
      for await (const m of readMbox([gunzipSync(Buffer.from(await res.arrayBuffer()))])) mails.push(m.raw);
      expect(mails.map(msgidOf).sort()).toEqual(everything);
      for (const m of mails) expect(m.toString('latin1')).toBe(withoutEnvelope(received.get(msgidOf(m))!).toString('latin1'));
      const dates = mails.map((m) => Date.parse(/^Date: (.*)$/m.exec(m.toString('latin1'))![1]!));
      expect(dates).toEqual([...dates].sort((a, b) => a - b));
    }
  });

  it('a patch outside any series is a thread of itself and its replies', async () => {
    const single = Buffer.from(
      ['From: Solo <solo@example.org>', `To: ${LIST}`, 'Subject: [PATCH] solo fix', 'Date: Sat, 03 Jan 2099 10:00:00 +0000', 'Message-Id: <solo@example.org>', '', 'Fix.', '', '---', 'diff --git a/x b/x', '--- a/x', '+++ b/x', '@@ -1 +1 @@', '-a', '+b', ''].join('\n'),
    );
    const [o] = await storeAll([single]);
    expect(o?.status).toBe('patch');
    const res = await app.request('/lists/demo/solo%40example.org/t.mbox.gz');
    const text = gunzipSync(Buffer.from(await res.arrayBuffer())).toString('latin1');
    expect(text.match(/^From mboxrd@z /gm)).toHaveLength(1);
    expect(text).toContain('Message-Id: <solo@example.org>');
  });
});

describe('/lists/<list>/<msgid>/ (the message page)', () => {
  it('shows decoded headers and text, escaped, with links to raw and the thread', async () => {
    const res = await app.request(`/lists/demo/${quoted(patchIds[1]!)}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toContain('docs: café &lt;notes&gt; &amp; more');
    expect(page).not.toContain('<notes>');
    expect(page).toContain('Zoë Bâtisseur &lt;zoe@example.org&gt;');
    expect(page).toContain('href="raw"');
    expect(page).toContain('href="t.mbox.gz"');
    expect(page).toContain('Crème brûlée: ✓');
    // the thread: every other message linked, this one not
    expect(page).toContain(`href="http://localhost/lists/demo/review-1@example.org/"`);
    expect(page).not.toContain(`href="http://localhost/lists/demo/${encodeURIComponent(patchIds[1]!).replace(/%40/g, '@')}/"`);
  });

  it('escapes markup a mail carries in its headers and body', async () => {
    const evil = Buffer.from(
      ['From: "<script>alert(1)</script>" <evil@example.org>', `To: ${LIST}`, 'Subject: Re: [PATCH 1/3] lib: add d <img src=x onerror=alert(2)>', 'Date: Sat, 03 Jan 2099 11:00:00 +0000', 'Message-Id: <evil@example.org>', `In-Reply-To: <${patchIds[0]}>`, '', '</pre><script>alert(3)</script>', ''].join('\n'),
    );
    await storeAll([evil]);
    const page = await (await app.request('/lists/demo/evil@example.org/')).text();
    expect(page).not.toMatch(/<script|<img/i);
    expect(page).toContain('&lt;/pre&gt;&lt;script&gt;alert(3)&lt;/script&gt;');
  });
});

describe('/lists/<list>/new.atom', () => {
  it('is an Atom feed of the newest messages, newest first, escaped', async () => {
    const res = await app.request('/lists/demo/new.atom');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/atom\+xml/);
    const feed = await res.text();
    expect(feed).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<feed xmlns="http:\/\/www.w3.org\/2005\/Atom">/);
    const titles = [...feed.matchAll(/<entry>[\s\S]*?<title>(.*?)<\/title>/g)].map((m) => m[1]);
    expect(titles[0]).toBe('Re: [PATCH 1/3] lib: add d &lt;img src=x onerror=alert(2)&gt;');
    expect(titles).toContain('docs: café &lt;notes&gt; &amp; more'.replace(/^/, '[2/3] '));
    expect(feed).not.toMatch(/<script|<img/i);
    const updated = [...feed.matchAll(/<entry>[\s\S]*?<updated>(.*?)<\/updated>/g)].map((m) => Date.parse(m[1]!));
    expect(updated).toEqual([...updated].sort((a, b) => b - a));
    expect(feed).toContain('<link href="http://localhost/lists/demo/ack-3@example.org/"/>');
  });

  it('the list page links the newest messages', async () => {
    const res = await app.request('/lists/demo/');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('href="http://localhost/lists/demo/solo@example.org/"');
    expect((await app.request('/lists/demo')).status).toBe(301);
  });
});

describe('/lists/<list>/?q= (search, as b4 looks for other versions)', () => {
  const post = (q: string) => app.request(`/lists/demo/?x=m&t=1&q=${encodeURIComponent(q)}`, { method: 'POST' });
  const idsIn = async (res: Response) => {
    const ids: string[] = [];
    for await (const m of readMbox([gunzipSync(Buffer.from(await res.arrayBuffer()))])) ids.push(msgidOf(m.raw));
    return ids.sort();
  };

  it('answers the matches of b4\'s query as a gzipped mbox, oldest first', async () => {
    const res = await post('((s:"lib: add d" AND f:"dev@upstream.example")) AND d:20260101..');
    expect(res.status).toBe(200);
    expect(await idsIn(res)).toEqual([patchIds[0]!]);
    expect(await idsIn(await post('s:"lib: add d"'))).toEqual([patchIds[0]!, 'evil@example.org', 'review-1@example.org'].sort());
    expect(await idsIn(await post('f:tess OR f:"Ack Er"'))).toEqual(['ack-3@example.org', 'test/2+x@example.org']);
    expect(await idsIn(await post('nq:"Works here" NOT s:readme'))).toEqual(['test/2+x@example.org']);
    expect(await idsIn(await post('s:"lib: add d" d:..20260101'))).toEqual([patchIds[0]!]);
  });

  it('nothing found is a 404; a query it cannot read is a 400 naming q', async () => {
    expect((await post('s:"no such subject"')).status).toBe(404);
    expect((await post('(s:"lib: add d" AND d:20990101..')).status).toBe(400);
    for (const q of ['(s:x', 'zz:word', 'd:yesterday..', '']) {
      const res = await post(q);
      expect(res.status, q).toBe(400);
      expect(await res.json()).toMatchObject({ error: { field: 'q' } });
    }
  });

  it('GET shows the matches as a page', async () => {
    const page = await (await app.request(`/lists/demo/?q=${encodeURIComponent('f:tess')}`)).text();
    expect(page).toContain('1 found for “f:tess”');
    expect(page).toContain('href="http://localhost/lists/demo/test%2F2%2Bx@example.org/"');
    // an empty search box: the newest messages
    expect(await (await app.request('/lists/demo/?q=')).text()).toContain('the newest messages');
    expect((await app.request(`/lists/demo/?q=${encodeURIComponent('zz:word')}`)).status).toBe(400);
  });
});

describe('READ_AUTH', () => {
  it('on: the archive needs credentials like every other read', async () => {
    const guarded = await appWith(true);
    const path = `/lists/demo/${quoted(patchIds[0]!)}/raw`;
    expect((await guarded.request(path)).status).toBe(401);
    expect((await guarded.request('/lists/demo/new.atom')).status).toBe(401);
    expect((await guarded.request(path, { headers: { authorization: basicAuth() } })).status).toBe(200);
  });
});

const hasB4 = spawnSync('b4', ['--version'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasB4)('b4 against the live service', () => {
  let server: ReturnType<typeof serve>;
  let archive: string;
  let b4Home: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve());
    });
    archive = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lists/demo/`;
    b4Home = makeTempDir('pt-b4-home-');
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  // async: the service answers from this same process. b4 reads its settings through `git config`, so
  // they are given the way `git -c` would give them: where messages and searches go, who "I" am (b4 wants
  // it for trailers), no attestation (our test mails are unsigned)
  const b4 = (cwd: string, ...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      const config = {
        'b4.midmask': `${archive}%s`,
        'b4.searchmask': `${archive}?x=m&t=1&q=%s`,
        'b4.attestation-policy': 'off',
        'user.name': 'Main Tainer',
        'user.email': 'maint@example.org',
      };
      const env = {
        ...testGitEnv,
        HOME: b4Home,
        XDG_CACHE_HOME: join(b4Home, 'cache'),
        XDG_CONFIG_HOME: join(b4Home, 'config'),
        XDG_DATA_HOME: join(b4Home, 'data'),
        NO_PROXY: '127.0.0.1',
        no_proxy: '127.0.0.1',
        GIT_CONFIG_COUNT: String(Object.keys(config).length),
        ...Object.fromEntries(Object.entries(config).flatMap(([k, v], i) => [[`GIT_CONFIG_KEY_${i}`, k], [`GIT_CONFIG_VALUE_${i}`, v]])),
      };
      execFile('b4', ['--no-interactive', '--no-stdin', ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`b4 ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout + stderr),
      );
    });

  function freshCloneAtBase(): string {
    const dir = join(makeTempDir('pt-b4-'), 'clone');
    execFileSync(GIT, ['clone', '--quiet', upstream.url, dir], { env: testGitEnv });
    git(dir, 'checkout', '--quiet', '-b', 'test', base);
    return dir;
  }

  function expectSeriesWithTrailers(clone: string) {
    expect(git(clone, 'rev-parse', 'HEAD^{tree}')).toBe(upstream.git('rev-parse', 'HEAD^{tree}'));
    expect(git(clone, 'log', '--reverse', '--format=%an <%ae>|%s', `${base}..HEAD`)).toBe(upstream.git('log', '--reverse', '--format=%an <%ae>|%s', `${base}..HEAD`));
    expect(git(clone, 'log', '-1', '--format=%b', 'HEAD~2')).toContain('Reviewed-by: Rev Iewer <rev@example.org>');
    expect(git(clone, 'log', '-1', '--format=%b', 'HEAD~1')).toContain('Tested-by: Tess Ter <tess@example.org>');
    expect(git(clone, 'log', '-1', '--format=%b', 'HEAD')).toContain('Acked-by: Ack Er <ack@example.org>');
  }

  it('b4 am: an mbox git am applies, with the trailers from the replies', async () => {
    const clone = freshCloneAtBase();
    const out = makeTempDir('pt-b4-am-');
    await b4(clone, 'am', '--no-cache', '-o', out, '-n', 'series', coverId);
    const mbx = join(out, 'series.mbx');
    expect(readFileSync(mbx, 'utf8')).toContain('Reviewed-by: Rev Iewer <rev@example.org>');
    git(clone, 'am', '--quiet', mbx);
    expectSeriesWithTrailers(clone);
  }, 120_000);

  it('b4 shazam: applies the series to the current tree', async () => {
    const clone = freshCloneAtBase();
    await b4(clone, 'shazam', '--no-cache', patchIds[1]!);
    expectSeriesWithTrailers(clone);
  }, 120_000);

  it('b4 mbox: saves the whole thread', async () => {
    const out = makeTempDir('pt-b4-mbox-');
    await b4(out, 'mbox', '--no-cache', '-o', out, 'review-1@example.org');
    const [file] = readdirSync(out).filter((f) => f.endsWith('.mbx'));
    const ids: string[] = [];
    for await (const m of readMbox([readFileSync(join(out, file!))])) ids.push(msgidOf(m.raw));
    expect(ids.sort()).toEqual([coverId, ...patchIds, 'review-1@example.org', 'test/2+x@example.org', 'ack-3@example.org', 'evil@example.org'].sort());
  }, 120_000);

  it('an unknown message id: b4 says so and fails', async () => {
    await expect(b4(b4Home, 'mbox', '--no-cache', '-o', b4Home, 'nope@example.org')).rejects.toThrow(/not known/);
  }, 120_000);
});
