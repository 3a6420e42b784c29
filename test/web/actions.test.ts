/**
 * The dashboard's tracking actions over the real engine and lifecycle (an in-memory forge and upstream):
 * scan now (paused and busy refused as the API refuses them), the preview (the engine's dry run rendered),
 * retry after a failure, and proposing a rejected range again. Every write needs a login and the CSRF token.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/app.js';
import { Authenticator } from '../../src/auth/authenticator.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { updateTracking } from '../../src/db/trackings.js';
import { createLogger } from '../../src/log.js';
import { TEST_PASSWORD, TEST_USER } from '../helpers/service.js';
import { createWorld as createLifecycleWorld, openWorldDb, REPO, UPSTREAM, type World as LifecycleWorld, type WorldDb } from '../lifecycle/world.js';
import { logIn, postForm, type Served } from './world.js';

let handle: WorldDb;
let w: LifecycleWorld;
let served: Served;
let session: { jar: string; csrf: string };
let passwordHash: string;

beforeAll(async () => {
  handle = await openWorldDb();
  passwordHash = await hashPassword(TEST_PASSWORD);
});
afterAll(() => handle.close());

beforeEach(async () => {
  w = await createLifecycleWorld(handle);
  const app = createApi({
    db: w.db,
    authenticator: new Authenticator({ user: TEST_USER, passwordHash, db: w.db }),
    logger: createLogger('silent'),
    readAuth: false,
    bodyLimit: 64 * 1024,
    scanNow: (id, options) => w.engine.scanNow(id, options),
    lifecycle: w.lifecycle,
  });
  served = { app };
  session = await logIn(served);
});

const page = async (path: string, jar = session.jar) => {
  const res = await served.app.request(path, { headers: { cookie: jar } });
  return { res, html: await res.text() };
};
const act = (action: string, fields: Record<string, string> = {}) => postForm(served, `/trackings/${w.t.id}/${action}`, session.jar, { _csrf: session.csrf, ...fields });

describe('scan now', () => {
  it('publishes what is new and says so on the tracking page', async () => {
    w.source.push(UPSTREAM, 'main', 2);
    const before = await page(`/trackings/${w.t.id}`);
    expect(before.html).toContain('>Scan now</button>');
    const res = await act('scan');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/trackings/${w.t.id}?done=published`);
    expect(w.forge.pulls).toHaveLength(1);
    const after = await page(res.headers.get('location')!);
    expect(after.html).toContain('Scanned: the new commits were published');
    // the notice is chosen by name, never taken from the address
    for (const done of ['__proto__', 'toString', 'nonsense']) expect((await page(`/trackings/${w.t.id}?done=${done}`)).html).not.toContain('class="notice"');
    expect(after.html).toContain('Published ranges (1)');
    // a second scan finds nothing new
    const again = await act('scan');
    expect(again.headers.get('location')).toBe(`/trackings/${w.t.id}?done=up_to_date`);
    expect(w.forge.pulls).toHaveLength(1);
  });

  it('without a login goes to the login page, without the CSRF token is 403; nothing is published', async () => {
    w.source.push(UPSTREAM, 'main', 1);
    const anonymous = await postForm(served, `/trackings/${w.t.id}/scan`, '', {});
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe(`/login?next=${encodeURIComponent(`/trackings/${w.t.id}/scan`)}`);
    expect((await postForm(served, `/trackings/${w.t.id}/scan`, session.jar, {})).status).toBe(403);
    expect((await postForm(served, `/trackings/${w.t.id}/retry`, session.jar, { _csrf: 'x'.repeat(43) })).status).toBe(403);
    expect(w.forge.writes).toEqual([]);
  });

  it('a paused tracking is refused with 409 tracking_paused and publishes nothing; its page offers no scan button', async () => {
    w.source.push(UPSTREAM, 'main', 1);
    await updateTracking(w.db, w.t.id, { enabled: false });
    const res = await act('scan');
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(html).toContain('is paused: nothing is published until it is resumed');
    expect(html).not.toContain('>Scan now</button>');
    expect((await act('retry')).status).toBe(409);
    expect(w.forge.writes).toEqual([]);
    expect(await w.tracking()).toMatchObject({ enabled: false, status: 'paused' });
  });

  it('a scan while another runs is 409 (tracking_busy), never a second run', async () => {
    w.source.push(UPSTREAM, 'main', 1);
    const create = w.forge.createIssue.bind(w.forge);
    w.forge.createIssue = async (repo, input) => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return create(repo, input);
    };
    const first = act('scan');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await act('scan');
    expect(second.status).toBe(409);
    expect(await second.text()).toContain('a scan of this tracking is running right now');
    expect((await first).status).toBe(303);
    expect(w.forge.issues).toHaveLength(1);
  });
});

describe('preview', () => {
  it('renders the dry run: commits, each patch file as a highlighted diff, the spec diff; writes nothing', async () => {
    w.source.push(UPSTREAM, 'main', 2);
    const { res, html } = await page(`/trackings/${w.t.id}/preview`);
    expect(res.status).toBe(200);
    expect(html).toContain('1 pull request would be opened. Nothing has been written.');
    expect(html).toContain('change 1 of https://git.example.org/lib.git');
    expect(html).toContain('change 2 of https://git.example.org/lib.git');
    // a patch file: its mail headers plain, its diff classed line by line
    expect(html).toMatch(/<span class="ctx">Subject: \[PATCH\] change 1 of [^<]*<\/span>/);
    expect(html).toContain('<span class="meta">diff --git a/f1.txt b/f1.txt</span>');
    expect(html).toContain('<span class="add">+1</span>');
    expect(html).toContain('<span class="ctx">---</span><span class="ctx"> f1.txt | 1 +</span>');
    // the spec diff adds the Patch lines
    expect(html).toContain('Spec diff (<code>lib.spec</code>)');
    expect(html).toMatch(/<span class="add">\+Patch\d+: [0-9a-f]{40}\.patch<\/span>/);
    expect(html).toMatch(/<span class="hunk">@@ /);
    expect(w.forge.writes).toEqual([]);
    expect((await w.tracking()).scmCommit).toBe(w.t.scmCommit);
  });

  it('says when there is nothing to publish, needs a login, and shows a paused tracking too', async () => {
    expect((await page(`/trackings/${w.t.id}/preview`)).html).toContain('Nothing new upstream');
    const anonymous = await page(`/trackings/${w.t.id}/preview`, '');
    expect(anonymous.res.status).toBe(303);
    expect(anonymous.res.headers.get('location')).toMatch(/^\/login\?next=/);
    await updateTracking(w.db, w.t.id, { enabled: false });
    w.source.push(UPSTREAM, 'main', 1);
    expect((await page(`/trackings/${w.t.id}/preview`)).html).toContain('1 pull request would be opened');
    expect((await page('/trackings/999999/preview')).res.status).toBe(404);
  });
});

describe('retry and propose again', () => {
  it('a failed scan shows its last error in full; retry resumes the publication', async () => {
    w.source.push(UPSTREAM, 'main', 1);
    w.forge.failNext('createPullRequest', 'before', new Error('the forge answered 502 Bad Gateway while opening the pull request'));
    const failed = await act('scan');
    expect(failed.status).toBe(500);
    const html = await failed.text();
    expect(html).toContain('It failed: the last error below says why.');
    expect(html).toContain('<pre>the forge answered 502 Bad Gateway while opening the pull request</pre>');
    expect(html).toContain('>Retry now</button>');
    expect(await w.tracking()).toMatchObject({ status: 'error', consecutiveFailures: 1 });

    const retried = await act('retry');
    expect(retried.status).toBe(303);
    expect(retried.headers.get('location')).toBe(`/trackings/${w.t.id}?done=published`);
    expect(w.forge.pulls).toHaveLength(1);
    expect(w.forge.issues).toHaveLength(1);
    expect(await w.tracking()).toMatchObject({ status: 'ok', consecutiveFailures: 0, lastError: null });
    expect((await page(`/trackings/${w.t.id}`)).html).not.toContain('>Retry now</button>');
  });

  it('a rejected range is proposed again in a new PR; an open one cannot be', async () => {
    await w.advance(1);
    const [row] = await w.issues();
    const openOne = await act('recreate', { issue: String(row!.id) });
    expect(openOne.status).toBe(400);
    expect(await openOne.text()).toContain('only a range whose pull request was closed without merging can be recreated');

    await w.lifecycle.pullClosed({ repo: REPO, number: w.forge.pulls[0]!.number, merged: false, mergedAt: null, head: row!.tempBranch! });
    const pageBefore = await page(`/trackings/${w.t.id}`);
    expect(pageBefore.html).toContain('>Propose again</button>');
    const res = await act('recreate', { issue: String(row!.id) });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/trackings/${w.t.id}?done=recreated`);
    expect(w.forge.pulls).toHaveLength(2);
    expect((await w.issues()).map((i) => i.state)).toEqual(['rejected', 'open']);

    const bad = await act('recreate', { issue: 'x' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('issue: &quot;x&quot; is not a positive whole number');
    expect((await act('recreate', { issue: '424242' })).status).toBe(400);
  });
});
