/**
 * The dashboard in a real browser (Debian's chromium, driven over CDP): log in, filter the patch list,
 * disable and re-enable a tracking, change a series' state, open a preview, the bulk form without
 * JavaScript; the admin creates an API token (shown once), revokes it, and adds a project maintainer. The main pages' screenshots and accessibility check are in accessibility.test.ts.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listApiTokens } from '../../src/auth/tokens.js';
import { createUser, projectMaintainers } from '../../src/auth/users.js';
import { getTracking, upsertTracking } from '../../src/db/trackings.js';
import { seriesPatches } from '../../src/mail/export/mbox.js';
import { getPatch } from '../../src/patchwork/patches.js';
import { Engine } from '../../src/tracker/engine.js';
import { FakeForge, fakeForges } from '../helpers/fake-forge.js';
import { FakeSource } from '../helpers/fake-source.js';
import { TEST_PASSWORD, TEST_USER } from '../helpers/service.js';
import { hasChromium, launchChromium, openBrowser, type Browser } from './chromium.js';
import { createWorld, type World } from './world.js';

const UPSTREAM = 'https://git.example.org/lib.git';
const source = new FakeSource('git');

describe.skipIf(!hasChromium)('the dashboard in chromium', () => {
  let world: World;
  let browser: Browser;
  let origin: string;
  let page: Page;
  /** the browser's console errors (a CSP violation is one) */
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    // the engine behind scan now and the preview, over an in-memory upstream and forge
    let engine: Engine | undefined;
    world = await createWorld({ scanNow: (id, options) => engine!.scanNow(id, options) });
    engine = new Engine({
      db: world.db,
      logger: world.logger,
      forges: fakeForges(new FakeForge({ 'lib.spec': 'Name: lib\nVersion: 1\nRelease: 1\n' })),
      sources: { git: source },
      unavailable: {},
      publish: { specEdit: 'auto', botName: 'patch-tracking', botEmail: 'bot@example.org' },
      maxPatchesPerPr: 100,
    });
    browser = await openBrowser(world);
    ({ page, origin } = browser);
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('logs in, filters the patch list, disables and re-enables a tracking', async () => {
    await page.goto(`${origin}/login?next=/trackings`);
    await page.fill('input[name=user]', TEST_USER);
    await page.fill('input[name=password]', TEST_PASSWORD);
    await Promise.all([page.waitForURL(`${origin}/trackings`), page.click('button:has-text("Log in")')]);
    expect(await page.textContent('header')).toContain(TEST_USER);

    await page.goto(`${origin}/project/demo/list/`);
    expect(await page.locator('a[href="/patch/3/"]').count()).toBe(1);
    // with JavaScript, htmx filters in place: the address follows, the document stays (no reload)
    await page.evaluate('window.keptAcrossFilter = true');
    await page.fill('input[name=q]', 'lorem');
    await Promise.all([page.waitForURL(/q=lorem/), page.click('button:has-text("Filter")')]);
    await page.locator('a[href="/patch/3/"]').waitFor({ state: 'detached' });
    expect(await page.locator('a[href="/patch/1/"]').count()).toBe(1);
    expect(await page.evaluate('window.keptAcrossFilter')).toBe(true);

    const id = world.trackings.failing.id;
    await page.goto(`${origin}/trackings/${id}`);
    await Promise.all([page.waitForURL(`${origin}/trackings/${id}`), page.click('button:has-text("Disable this tracking")')]);
    await page.locator('button:has-text("Enable this tracking")').waitFor();
    expect((await getTracking(world.db, id))!.enabled).toBe(false);
    await page.click('button:has-text("Enable this tracking")');
    await page.locator('button:has-text("Disable this tracking")').waitFor();
    expect((await getTracking(world.db, id))!.enabled).toBe(true);
  }, 120_000);

  it("changes a series' state and opens a tracking's preview", async () => {
    await page.goto(`${origin}/series/1/`);
    const form = page.locator('form[action="/series/1/update"]');
    await form.locator('select[name=state]').selectOption('accepted');
    await Promise.all([page.waitForURL(/\/series\/1\/\?updated=\d+$/), form.locator('button:has-text("Apply to the series")').click()]);
    expect(await page.textContent('p.notice')).toMatch(/^\d+ patches updated\.$/);
    const patches = await seriesPatches(world.db, 1);
    expect(patches.map((p) => p.state)).toEqual(patches.map(() => 'accepted'));

    const start = source.push(UPSTREAM, 'main', 1);
    const { row: t } = await upsertTracking(world.db, { versionControl: 'git', scmRepo: UPSTREAM, scmBranch: 'main', scmCommit: start, repo: 'src-openeuler/lib', branch: 'master', enabled: true });
    source.push(UPSTREAM, 'main', 2);
    await page.goto(`${origin}/trackings/${t.id}`);
    await Promise.all([page.waitForURL(`${origin}/trackings/${t.id}/preview`), page.click('a:has-text("Preview the next publish")')]);
    expect(await page.textContent('main')).toContain('1 pull request would be opened. Nothing has been written.');
    expect(await page.locator('section.preview ol li').count()).toBe(2);
    await page.click('summary:has-text(".patch") >> nth=0');
    const added = page.locator('details[open] pre.diff span.add').first();
    expect(await added.isVisible()).toBe(true);
    // the added line has its own background colour from the stylesheet (not the page's)
    const line = await page.evaluate<string>("getComputedStyle(document.querySelector('details[open] pre.diff span.add')).backgroundColor");
    const body = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    expect(line).not.toBe(body);
    expect((await getTracking(world.db, t.id))!.scmCommit).toBe(start);
  }, 120_000);

  it('without JavaScript, the bulk form of the patch list still changes the ticked patches', async () => {
    const plain = await launchChromium(browser.temp('pt-chromium-nojs-'), { javaScriptEnabled: false });
    try {
      const p = plain.pages()[0] ?? (await plain.newPage());
      await p.goto(`${origin}/login?next=/project/demo/list/`);
      await p.fill('input[name=user]', TEST_USER);
      await p.fill('input[name=password]', TEST_PASSWORD);
      await Promise.all([p.waitForURL(`${origin}/project/demo/list/`), p.click('button:has-text("Log in")')]);
      await p.check('input[name=patch][value="3"]');
      await p.locator('form[action="/patches/bulk"] select[name=state]').selectOption('superseded');
      await Promise.all([p.waitForURL(/updated=1$/), p.click('button:has-text("Apply to selected")')]);
      expect(await p.textContent('p.notice')).toBe('1 patch updated.');
      expect((await getPatch(world.db, 3))!.state).toBe('superseded');
    } finally {
      await plain.close();
    }
  }, 120_000);

  it('the admin creates an API token, sees it once, revokes it, and adds a maintainer to a project', async () => {
    await page.goto(`${origin}/login?next=/admin/tokens`);
    await page.fill('input[name=user]', TEST_USER);
    await page.fill('input[name=password]', TEST_PASSWORD);
    await Promise.all([page.waitForURL(`${origin}/admin/tokens`), page.click('button:has-text("Log in")')]);
    await page.click('header a:has-text("Tokens")');
    await page.fill('input[name=name]', 'browser-bot');
    await page.check('input[name=scope][value=checks]');
    await page.check('input[name=scope][value=tester]');
    await page.click('button:has-text("Create token")');
    await page.locator('text=shown only this once').waitFor();
    const token = await page.inputValue('input.command');
    expect(token).toMatch(/^ptk_[A-Za-z0-9_-]{43}$/);
    expect(await page.textContent('main')).toContain('Scopes: checks, tester; acts as the service.');
    const row = (await listApiTokens(world.db)).find((t) => t.name === 'browser-bot')!;
    expect(row.scopes).toEqual(['checks', 'tester']);

    // never again: the list shows its first characters only
    await page.click('a:has-text("Back to the tokens")');
    expect(await page.textContent('main')).toContain('browser-bot');
    expect(await page.content()).not.toContain(token);
    await Promise.all([page.waitForURL(`${origin}/admin/tokens?done=revoked`), page.click('button[aria-label="Revoke browser-bot"]')]);
    expect(await page.textContent('p.notice')).toContain('Token revoked');
    expect((await listApiTokens(world.db)).find((t) => t.id === row.id)!.revokedAt).not.toBeNull();

    await createUser(world.db, { name: 'rosa', email: 'rosa@example.org', password: 'a long password 1' });
    await page.click('header a:has-text("Maintainers")');
    await Promise.all([page.waitForURL(`${origin}/admin/projects/demo/maintainers`), page.click('main a:has-text("Demo")')]);
    await page.selectOption('select[name=user]', 'rosa');
    await Promise.all([page.waitForURL(/done=added$/), page.click('button:has-text("Add maintainer")')]);
    expect(await page.textContent('p.notice')).toBe('Maintainer added.');
    expect(await page.locator('main table a:has-text("rosa")').count()).toBe(1);
    expect(await projectMaintainers(world.db, 'demo')).toEqual(['rosa']);
  }, 120_000);

  it('loads the stylesheet and htmx on the main pages under the CSP (screenshots: accessibility.test.ts)', async () => {
    for (const path of ['/', '/trackings', `/trackings/${world.trackings.healthy.id}`, '/project/demo/list/', '/patch/1/', '/series/1/']) {
      const res = await page.goto(`${origin}${path}`);
      expect(res?.status(), path).toBe(200);
      // the stylesheet loaded under the CSP (the browser's default font would be a serif)
      expect(await page.evaluate<string>('getComputedStyle(document.body).fontFamily')).toContain('system-ui');
      expect(await page.evaluate('typeof window.htmx')).toBe('object');
    }
    expect(consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  }, 120_000);
});
