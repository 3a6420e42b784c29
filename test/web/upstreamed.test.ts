/**
 * The tracking page's section on spec patches already upstream: loaded by htmx after the page (the
 * comparison fetches the upstream), in chromium; its own page without JavaScript; a reason instead of a
 * table when the comparison cannot be made.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertTracking } from '../../src/db/trackings.js';
import { removeTempDirs } from '../helpers/git-repo.js';
import { fixAlreadyUpstream } from '../helpers/upstreamed.js';
import { hasChromium, openBrowser, type Browser } from './chromium.js';
import { createWorld, type World } from './world.js';

const { upstream, fix, forge, analyse } = fixAlreadyUpstream({ before: '2.0', after: '2.1' });

let world: World;
let id: number;
beforeAll(async () => {
  world = await createWorld({ upstreamed: analyse });
  ({ row: { id } } = await upsertTracking(world.db, { versionControl: 'git', scmRepo: upstream.url, scmBranch: 'main', repo: 'src-openeuler/lib', branch: 'master', enabled: true }));
});
afterAll(async () => {
  await world?.close();
  removeTempDirs();
});

describe('the section without JavaScript', () => {
  it('the tracking page links to it; its page shows each patch, how it is known, its commit', async () => {
    const tracking = await (await world.app.request(`/trackings/${id}`)).text();
    expect(tracking).toContain(`<section id="upstreamed" hx-get="/trackings/${id}/upstreamed" hx-trigger="load"`);
    expect(tracking).toContain(`<a href="/trackings/${id}/upstreamed">(open)</a>`);
    const res = await world.app.request(`/trackings/${id}/upstreamed`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<td>Patch1</td><td><code>fix.patch</code></td><td class="status-ok">upstream</td><td>made from the upstream commit (From header)</td>');
    expect(html).toContain(`<code>${fix.slice(0, 12)}</code> lib: drop b`);
    expect(html).toContain('1 patch(es) can be removed');
    expect(forge.writes).toEqual([]);
  });

  it('a mailing-list tracking has no section; asked anyway, the page says why (422)', async () => {
    const { row } = await upsertTracking(world.db, { versionControl: 'mail', scmRepo: 'list.example', scmBranch: '*', repo: 'src-openeuler/maillib', branch: 'master', enabled: true });
    expect(await (await world.app.request(`/trackings/${row.id}`)).text()).not.toContain('id="upstreamed"');
    const res = await world.app.request(`/trackings/${row.id}/upstreamed`);
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('Could not compare: a mail tracking has no upstream tree');
  });
});

describe.skipIf(!hasChromium)('the section in chromium', () => {
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    browser = await openBrowser(world);
    ({ page } = browser);
  }, 120_000);
  afterAll(() => browser?.close());

  it('is filled in after the page loads', async () => {
    await page.goto(`${browser.origin}/trackings/${id}`);
    const row = page.locator('#upstreamed table tbody tr');
    await row.first().waitFor({ timeout: 30_000 });
    expect(await row.count()).toBe(1);
    expect(await row.first().textContent()).toContain('fix.patch');
    expect(await page.textContent('#upstreamed')).toContain('tag v2.1');
    expect(page.url()).toBe(`${browser.origin}/trackings/${id}`);
  }, 120_000);

  it('says why when the upstream cannot be read, instead of waiting forever', async () => {
    const { row } = await upsertTracking(world.db, { versionControl: 'git', scmRepo: `${upstream.url}-gone`, scmBranch: 'main', repo: 'src-openeuler/gone', branch: 'master', enabled: true });
    await page.goto(`${browser.origin}/trackings/${row.id}`);
    await page.locator('#upstreamed .error-box').waitFor({ timeout: 30_000 });
    expect(await page.textContent('#upstreamed')).toMatch(/^Could not compare: /);
  }, 120_000);
});
