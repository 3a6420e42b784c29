/**
 * The dashboard in a real browser (Debian's chromium, driven over CDP): log in, filter the patch list,
 * disable and re-enable a tracking. The main pages' screenshots and accessibility check are in
 * accessibility.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTracking } from '../../src/db/trackings.js';
import { TEST_PASSWORD, TEST_USER } from '../helpers/service.js';
import { hasChromium, openBrowser, type Browser } from './chromium.js';
import { createWorld, type World } from './world.js';

describe.skipIf(!hasChromium)('the dashboard in chromium', () => {
  let world: World;
  let browser: Browser;
  let page: Browser['page'];
  let origin: string;

  beforeAll(async () => {
    world = await createWorld();
    browser = await openBrowser(world);
    ({ page, origin } = browser);
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
    await page.fill('input[name=q]', 'lorem');
    await Promise.all([page.waitForURL(/q=lorem/), page.click('button:has-text("Filter")')]);
    expect(await page.locator('a[href="/patch/1/"]').count()).toBe(1);
    expect(await page.locator('a[href="/patch/3/"]').count()).toBe(0);

    const id = world.trackings.failing.id;
    await page.goto(`${origin}/trackings/${id}`);
    await Promise.all([page.waitForURL(`${origin}/trackings/${id}`), page.click('button:has-text("Disable this tracking")')]);
    await page.locator('button:has-text("Enable this tracking")').waitFor();
    expect((await getTracking(world.db, id))!.enabled).toBe(false);
    await page.click('button:has-text("Enable this tracking")');
    await page.locator('button:has-text("Disable this tracking")').waitFor();
    expect((await getTracking(world.db, id))!.enabled).toBe(true);
  }, 120_000);
});
