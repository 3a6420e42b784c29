import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPatch } from '../../src/patchwork/patches.js';
import { eq } from 'drizzle-orm';
import { issue, tracking } from '../../src/db/schema/index.js';
import { getTracking, upsertTracking } from '../../src/db/trackings.js';
import { listEvents } from '../../src/events/service.js';
import { basicAuth } from '../helpers/api.js';
import { createWorld, csrfOf, logIn, mergeCookies, postForm, type World } from './world.js';

let world: World;

beforeAll(async () => {
  world = await createWorld();
});
afterAll(async () => {
  await world?.close();
});

async function page(path: string, init?: RequestInit) {
  const res = await world.app.request(path, init);
  return { res, html: await res.text() };
}

describe('read pages', () => {
  it('the overview counts trackings by status, lists those that need a human with what to do, open PRs and events', async () => {
    const { res, html } = await page('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(html).toMatch(/status-error">error<\/span><\/a>: <strong>1</);
    expect(html).toMatch(/status-blocked">blocked<\/span><\/a>: <strong>1</);
    expect(html).toMatch(/status-ok">ok<\/span><\/a>: <strong>1</);
    expect(html).toContain('Need a human (2)');
    expect(html).toContain('Open pull requests waiting for review (1)');
    expect(html).toContain('git fetch timed out after 120 s');
    expect(html).toContain('retried automatically');
    expect(html).toContain('Retrying will not help');
    expect(html).toContain('href="https://gitee.com/src-openeuler/widget/pulls/7"');
    expect(html).toContain('patch-created');
    expect(html).toContain('href="/project/demo/list/"');
  });

  it('the overview shows the first few trackings of a status that needs a human, counts them all and links to the rest', async () => {
    const crowded = await createWorld();
    try {
      for (let i = 0; i < 12; i++) {
        const { row } = await upsertTracking(crowded.db, { versionControl: 'git', scmRepo: `https://git.example.org/p${i}.git`, scmBranch: 'main', repo: `src-openeuler/p${i}`, branch: 'master', enabled: true });
        await crowded.db.update(tracking).set({ status: 'error', lastError: `failure number ${i}` }).where(eq(tracking.id, row.id));
      }
      // 60 open PRs and 5 open issues whose PR was never opened
      await crowded.db.insert(issue).values(
        Array.from({ length: 65 }, (_, i) => ({ issue: `I${i}`, repo: 'src-openeuler/p0', branch: 'master', state: 'open', ...(i < 60 ? { prNumber: String(i + 100), prUrl: `https://gitee.com/src-openeuler/p0/pulls/${i + 100}` } : {}) })),
      );
      const html = await (await crowded.app.request('/')).text();
      expect(html).toContain('Open pull requests waiting for review (61)'); // the world's own and these 60
      expect(html).toContain('The 50 waiting longest:');
      expect(html).not.toContain('pulls/159"'); // the newest are past the first 50
      expect(html).toContain('Need a human (14)'); // 13 failing and 1 blocked
      expect(html).toMatch(/href="\/trackings\?status=error">All 13 in <span class="status-error">error<\/span><\/a> \(10 shown\)/);
      expect(html).not.toMatch(/status=blocked">All/); // the one blocked tracking is shown
      expect(html.match(/<td>.*?status-error">error<\/span><\/td><td>/g)).toHaveLength(10);
    } finally {
      await crowded.close();
    }
  });

  it('HEAD / answers 200 with no body, as the old CLI expects, even when reads need a login', async () => {
    const res = await world.app.request('/', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    const guarded = await createWorld({ readAuth: true });
    try {
      expect((await guarded.app.request('/', { method: 'HEAD' })).status).toBe(200);
      const get = await guarded.app.request('/trackings?status=error');
      expect(get.status).toBe(303);
      expect(get.headers.get('location')).toBe('/login?next=%2Ftrackings%3Fstatus%3Derror');
      const { jar } = await logIn(guarded);
      expect((await guarded.app.request('/trackings', { headers: { cookie: jar } })).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('the stylesheet is served by the app, with a dark theme', async () => {
    const { res, html: css } = await page('/static/dashboard.css');
    expect(res.headers.get('content-type')).toMatch(/^text\/css/);
    expect(css).toContain('prefers-color-scheme: dark');
  });

  it('/trackings filters by status, kind, enabled and search, and pages by id', async () => {
    const { trackings: t } = world;
    const errors = await page('/trackings?status=error');
    expect(errors.html).toContain(`href="/trackings/${t.failing.id}"`);
    expect(errors.html).not.toContain(`href="/trackings/${t.healthy.id}"`);
    const github = await page('/trackings?kind=github');
    expect(github.html).toContain('upstream/widget');
    expect(github.html).not.toContain('gadget.git');
    expect((await page('/trackings?q=DOOHICKEY')).html).toContain(`href="/trackings/${t.blocked.id}"`);
    expect((await page('/trackings?enabled=no')).html).toContain('No trackings match.');
    const withPr = await page(`/trackings?repo=${encodeURIComponent(t.healthy.repo)}`);
    expect(withPr.html).toContain('href="https://gitee.com/src-openeuler/widget/pulls/7"');
    const afterFirst = await page(`/trackings?after=${t.healthy.id}`);
    expect(afterFirst.html).not.toContain(`href="/trackings/${t.healthy.id}"`);
    expect(afterFirst.html).toContain(`href="/trackings/${t.failing.id}"`);
  });

  it('bad filters are a 400 page naming the field', async () => {
    for (const [path, field] of [['/trackings?status=sleepy', 'status'], ['/trackings?after=x', 'after'], ['/trackings?enabled=maybe', 'enabled'], ['/project/demo/list/?before=-1', 'before']] as const) {
      const { res, html } = await page(path);
      expect(res.status, path).toBe(400);
      expect(html).toContain(`${field}: `);
      expect(html).not.toContain(' at ');
    }
    expect((await page('/trackings/999999')).res.status).toBe(404);
    expect((await page('/patch/999999/')).res.status).toBe(404);
    expect((await page('/project/nope/list/')).res.status).toBe(404);
  });

  it('/trackings/<id> shows settings, published ranges with issue, PR, state and checks, and the last error in full', async () => {
    const healthy = await page(`/trackings/${world.trackings.healthy.id}`);
    expect(healthy.html).toContain('https://github.com/upstream/widget');
    expect(healthy.html).toContain('href="https://gitee.com/src-openeuler/widget/issues/I1ABCD"');
    expect(healthy.html).toContain('PR 7');
    expect(healthy.html).toContain('<td>open</td>');
    expect(healthy.html).toContain('href="https://ci.example.org/build/1">rpmbuild</a>');
    expect(healthy.html).toContain('check-fail');
    const failing = await page(`/trackings/${world.trackings.failing.id}`);
    expect(failing.html).toContain('<pre>git fetch timed out after 120 s</pre>');
  });

  it('the patch list has Patchwork columns and filters by state, submitter, archived, search and series', async () => {
    const all = await page('/project/demo/list/');
    expect(all.res.status).toBe(200);
    for (const col of ['Patch', 'Series', 'A/R/T', 'Checks', 'Date', 'Submitter', 'Delegate', 'State']) expect(all.html).toContain(`>${col}</th>`);
    expect(all.html).toContain('href="/patch/1/"');
    expect(all.html).toContain('href="/patch/3/"');
    expect(all.html).toContain('check-success');
    const searched = await page('/project/demo/list/?q=lorem');
    expect(searched.html).toContain('href="/patch/1/"');
    expect(searched.html).not.toContain('href="/patch/3/"');
    expect((await page('/project/demo/list/?state=accepted')).html).toContain('No patches match.');
    expect((await page('/project/demo/list/?series=1')).html).not.toContain('href="/patch/3/"');
    expect((await page('/project/demo/list/?submitter=nobody@example.org')).res.status).toBe(400);
    const older = await page('/project/demo/list/?before=2');
    expect(older.html).toContain('href="/patch/1/"');
    expect(older.html).not.toContain('href="/patch/2/"');
  });

  it('/patch/<id>/ shows the message, a diff readable without colour, comments, checks and how to apply it', async () => {
    const one = await page('/patch/1/');
    expect(one.res.status).toBe(200);
    expect(one.html).toMatch(/<span class="add">\+[^<]*<\/span>/);
    expect(one.html).toContain('<span class="hunk">@@');
    expect(one.html).toContain('href="http://localhost/patch/1/mbox/"');
    expect(one.html).toContain('git pw patch apply 1');
    expect(one.html).toContain('curl -s http://localhost/patch/1/mbox/ | git am');
    expect(one.html).toContain('checkpatch');
    expect((await page('/patch/3/')).html).toMatch(/Comments \([1-9]/);
  });

  it('/series/<id>/ shows its patches, cover letter, completeness and mbox', async () => {
    const { res, html } = await page('/series/1/');
    expect(res.status).toBe(200);
    expect(html).toContain('This is a sample cover letter');
    expect(html).toContain('complete: 2 of 2 patches received');
    expect(html).toContain('href="/patch/2/"');
    expect(html).toContain('href="http://localhost/series/1/mbox/"');
  });
});

describe('login and writes', () => {
  it('logs in with the API user, sets a strict HttpOnly session cookie, and logs out', async () => {
    const { res, jar } = await logIn(world);
    expect(res.status).toBe(303);
    const session = res.headers.getSetCookie().find((c) => c.startsWith('pt_session='))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(session).toMatch(/Max-Age=\d+/);
    expect(session).not.toMatch(/Secure/);
    const home = await page('/', { headers: { cookie: jar } });
    expect(home.html).toContain('<span>admin</span>');
    const out = await postForm(world, '/logout', jar, { _csrf: csrfOf(home.html) });
    expect(out.status).toBe(303);
    const after = await page('/', { headers: { cookie: mergeCookies(jar, out) } });
    expect(after.html).toContain('Log in');
  });

  it('marks the session cookie Secure under TLS', async () => {
    const form = await world.app.request('https://dash.example.org/login');
    const jar = mergeCookies('', form);
    const res = await world.app.request('https://dash.example.org/login', {
      method: 'POST',
      headers: { cookie: jar, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrfOf(await form.text()), user: 'admin', password: 'Test@123' }).toString(),
    });
    expect(res.headers.getSetCookie().find((c) => c.startsWith('pt_session='))).toMatch(/Secure/);
  });

  it('logs in with an API token too; refuses bad credentials and a login without the CSRF token', async () => {
    const created = await world.app.request('/api/v1/tokens', { method: 'POST', headers: { authorization: basicAuth(), 'content-type': 'application/json' }, body: JSON.stringify({ name: 'dash', scopes: ['read'] }) });
    const token = ((await created.json()) as { token: string }).token;
    const { res } = await logIn(world, { token });
    expect(res.status).toBe(303);
    const bad = await logIn(world, { user: 'admin', password: 'wrong' });
    expect(bad.res.status).toBe(401);
    expect(await bad.res.text()).toContain('Invalid credentials.');
    const form = await world.app.request('/login');
    const noToken = await postForm(world, '/login', mergeCookies('', form), { user: 'admin', password: 'Test@123' });
    expect(noToken.status).toBe(403);
  });

  it('a write without login goes to /login; with login but without the CSRF token it is 403', async () => {
    const id = world.trackings.healthy.id;
    const anonymous = await postForm(world, `/trackings/${id}/enabled`, '', { enabled: 'no' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toMatch(/^\/login\?next=/);
    const { jar, csrf } = await logIn(world);
    expect((await postForm(world, `/trackings/${id}/enabled`, jar, { enabled: 'no' })).status).toBe(403);
    expect((await postForm(world, `/trackings/${id}/enabled`, jar, { enabled: 'no', _csrf: 'x'.repeat(43) })).status).toBe(403);
    expect((await getTracking(world.db, id))!.enabled).toBe(true);
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('disables and re-enables a tracking', async () => {
    const id = world.trackings.healthy.id;
    const { jar, csrf } = await logIn(world);
    const off = await postForm(world, `/trackings/${id}/enabled`, jar, { enabled: 'no', _csrf: csrf });
    expect(off.status).toBe(303);
    expect((await getTracking(world.db, id))!).toMatchObject({ enabled: false, status: 'paused' });
    expect((await page(`/trackings/${id}`, { headers: { cookie: jar } })).html).toContain('Enable this tracking');
    await postForm(world, `/trackings/${id}/enabled`, jar, { enabled: 'yes', _csrf: csrf });
    expect((await getTracking(world.db, id))!.enabled).toBe(true);
  });

  it("changes a patch's state through the Patchwork rule, recording the event with the actor; a bad state is shown", async () => {
    const { jar, csrf } = await logIn(world);
    const res = await postForm(world, '/patch/2/update', jar, { state: 'under-review', _csrf: csrf });
    expect(res.status).toBe(303);
    expect((await getPatch(world.db, 2))!.state).toBe('under-review');
    const events = await listEvents(world.db, { patchId: 2, categories: ['patch-state-changed'] }, { limit: 5, offset: 0, newestFirst: true });
    expect(events.rows[0]!.actor).toBe('admin');
    const bad = await postForm(world, '/patch/2/update', jar, { state: 'sleepy', _csrf: csrf });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('state: &quot;sleepy&quot; is not a state of this project');
  });

  it('throttles failed logins like the API', async () => {
    const local = await createWorld();
    try {
      let last: Response | undefined;
      for (let i = 0; i < 11; i++) last = (await logIn(local, { user: 'admin', password: `wrong-${i}` })).res;
      expect(last!.status).toBe(429);
      expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await local.close();
    }
  });
});
