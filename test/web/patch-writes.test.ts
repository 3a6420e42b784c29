/**
 * Changing patches from the dashboard: one patch (state, delegate, archived), a whole series, and the list's
 * bulk action; every write through the Patchwork update rule (events with the actor), patch by patch, with
 * the refused ones named and the rest applied. Writes need a login and the CSRF token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEvents } from '../../src/events/service.js';
import { seriesPatches } from '../../src/mail/export/mbox.js';
import { getPatch } from '../../src/patchwork/patches.js';
import { createWorld, logIn, postForm, type World } from './world.js';

let world: World;
let jar: string;
let csrf: string;

beforeAll(async () => {
  world = await createWorld();
  ({ jar, csrf } = await logIn(world));
});
afterAll(() => world?.close());

const page = async (path: string, cookie = jar) => {
  const res = await world.app.request(path, { headers: { cookie } });
  return { res, html: await res.text() };
};
const post = (path: string, fields: Record<string, string> | URLSearchParams) => {
  const body = new URLSearchParams(fields);
  if (!body.has('_csrf')) body.set('_csrf', csrf);
  return world.app.request(path, { method: 'POST', headers: { cookie: jar, 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
};

describe('one patch', () => {
  it('changes state, delegate and archived at once, recording the events with the actor', async () => {
    const form = await page('/patch/3/');
    expect(form.html).toContain('action="/patch/3/update"');
    const res = await post('/patch/3/update', { state: 'changes-requested', delegate: '1', archived: 'yes' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/patch/3/');
    expect(await getPatch(world.db, 3)).toMatchObject({ state: 'changes-requested', delegateId: 1, archived: true });
    const events = await listEvents(world.db, { patchId: 3 }, { limit: 10, offset: 0, newestFirst: true });
    expect(events.rows.filter((e) => e.actor === 'admin').map((e) => e.category).sort()).toEqual(['patch-delegated', 'patch-state-changed']);

    // empty fields change nothing; "none" clears the delegate
    expect((await post('/patch/3/update', { state: '', delegate: 'none', archived: 'no' })).status).toBe(303);
    expect(await getPatch(world.db, 3)).toMatchObject({ state: 'changes-requested', delegateId: null, archived: false });
  });

  it('a refused change is shown on the patch page naming the field; nothing changes', async () => {
    const unknownDelegate = await post('/patch/3/update', { delegate: 'nobody@example.org' });
    expect(unknownDelegate.status).toBe(400);
    expect(await unknownDelegate.text()).toContain('delegate: no user &quot;nobody@example.org&quot;');
    const nothing = await post('/patch/3/update', { state: '', delegate: '', archived: '' });
    expect(nothing.status).toBe(400);
    expect(await nothing.text()).toContain('state: choose a state, a delegate or an archived setting');
    expect((await post('/patch/3/update', { archived: 'perhaps' })).status).toBe(400);
    expect((await post('/patch/999999/update', { state: 'new' })).status).toBe(404);
  });

  it('needs a login (the page offers one instead of the form) and the CSRF token', async () => {
    const anonymous = await page('/patch/3/', '');
    expect(anonymous.html).not.toContain('action="/patch/3/update"');
    expect(anonymous.html).toContain('to change its state, delegate or archived flag');
    const noLogin = await postForm(world, '/patch/3/update', '', { state: 'accepted' });
    expect(noLogin.status).toBe(303);
    expect(noLogin.headers.get('location')).toMatch(/^\/login\?next=/);
    expect((await postForm(world, '/patch/3/update', jar, { state: 'accepted' })).status).toBe(403);
    expect((await getPatch(world.db, 3))!.state).not.toBe('accepted');
  });
});

describe('a whole series', () => {
  it("changes every patch of the series and comes back saying how many", async () => {
    const ids = (await seriesPatches(world.db, 1)).map((p) => p.id);
    expect(ids.length).toBeGreaterThan(1);
    expect((await page('/series/1/')).html).toContain(`Change all ${ids.length} patches of this series`);
    const res = await post('/series/1/update', { state: 'accepted' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/series/1/?updated=${ids.length}`);
    for (const id of ids) expect((await getPatch(world.db, id))!.state).toBe('accepted');
    expect((await page(res.headers.get('location')!)).html).toContain(`${ids.length} patches updated.`);
    expect((await page('/series/1/', '')).html).not.toContain('/series/1/update');
    expect((await postForm(world, '/series/1/update', jar, { state: 'new' })).status).toBe(403);
    expect((await post('/series/999999/update', { state: 'new' })).status).toBe(404);
  });
});

describe('the bulk action on the patch list', () => {
  it('ticks patches on the list and applies one change to them, back to the same filtered list', async () => {
    const list = await page('/project/demo/list/?archived=both');
    expect(list.html).toContain('<form method="post" action="/patches/bulk"');
    expect(list.html).toContain('name="patch" value="1"');
    expect(list.html).toContain('<input type="hidden" name="back" value="/project/demo/list/?archived=both">');
    expect((await page('/project/demo/list/', '')).html).not.toContain('name="patch"');

    const body = new URLSearchParams([['patch', '1'], ['patch', '3'], ['state', 'rfc'], ['archived', 'no'], ['back', '/project/demo/list/?archived=both']]);
    const res = await post('/patches/bulk', body);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/project/demo/list/?archived=both&updated=2');
    expect((await getPatch(world.db, 1))!.state).toBe('rfc');
    expect((await getPatch(world.db, 3))!.state).toBe('rfc');
    expect((await page(res.headers.get('location')!)).html).toContain('2 patches updated.');
  });

  it('a patch the rule refuses is named with its reason; the others are applied', async () => {
    const res = await post('/patches/bulk', new URLSearchParams([['patch', '1'], ['patch', '999999'], ['state', 'deferred'], ['back', '/project/demo/list/']]));
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('1 patch updated; 1 could not be changed.');
    expect(html).toContain('href="/patch/999999/"');
    expect(html).toContain('patch 999999 not found');
    expect((await getPatch(world.db, 1))!.state).toBe('deferred');

    const allRefused = await post('/patches/bulk', new URLSearchParams([['patch', '1'], ['patch', '3'], ['delegate', 'nobody@example.org']]));
    expect(allRefused.status).toBe(400);
    expect(await allRefused.text()).toContain('0 patches updated; 2 could not be changed.');
  });

  it('bad selections are a 400 naming the field; an outside "back" is not followed', async () => {
    const none = await post('/patches/bulk', { state: 'new' });
    expect(none.status).toBe(400);
    expect(await none.text()).toContain('patch: select at least one patch');
    const notId = await post('/patches/bulk', new URLSearchParams([['patch', 'abc'], ['state', 'new']]));
    expect(notId.status).toBe(400);
    expect(await notId.text()).toContain('patch: &quot;abc&quot; is not a positive whole number');
    const outside = await post('/patches/bulk', new URLSearchParams([['patch', '1'], ['state', 'new'], ['back', 'https://evil.example/']]));
    expect(outside.headers.get('location')).toBe('/?updated=1');
    const anonymous = await postForm(world, '/patches/bulk', '', { patch: '1', state: 'accepted' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toMatch(/^\/login/);
  });
});
