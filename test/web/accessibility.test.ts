/**
 * The main pages in a real browser: axe-core (run inside the page) finds no serious or critical
 * accessibility violation, and each page renders (its heading shows, its screenshot is not blank).
 * Screenshots go to a temporary folder, or to SCREENSHOTS_DIR when set (`npm run screenshots` writes the
 * README's under docs/screenshots/).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import axe from 'axe-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createApiToken, revokeApiToken } from '../../src/auth/tokens.js';
import { addMaintainer, createUser } from '../../src/auth/users.js';
import { recordRangeEvent } from '../../src/events/service.js';
import { TEST_PASSWORD, TEST_USER } from '../helpers/service.js';
import { distinctColours, hasChromium, openBrowser, type Browser } from './chromium.js';
import { createWorld, type World } from './world.js';

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

describe.skipIf(!hasChromium)('the main pages in chromium', () => {
  let world: World;
  let browser: Browser;

  beforeAll(async () => {
    world = await createWorld();
    await recordRangeEvent(world.db, { category: 'pr-merged', trackingId: world.trackings.healthy.id, publicationId: world.range.id, actor: 'maintainer', payload: { pr: '7' } });
    // what the admin pages list: a maintainer, a user's token, a service token and a revoked one
    await createUser(world.db, { name: 'ada', email: 'ada@example.org', password: 'a long password 1' });
    await createUser(world.db, { name: 'root2', email: 'root2@example.org', password: 'a long password 1', admin: true });
    await addMaintainer(world.db, 'demo', 'ada');
    await createApiToken(world.db, 'ada-laptop', ['patches'], 'ada');
    await createApiToken(world.db, 'ci-bot', ['checks', 'tester']);
    await revokeApiToken(world.db, (await createApiToken(world.db, 'old-importer', ['trackings'])).row.id);
    browser = await openBrowser(world);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  const pages = () =>
    [
      ['overview', '/'],
      ['trackings', '/trackings'],
      ['tracking', `/trackings/${world.trackings.healthy.id}`],
      ['patches', '/project/demo/list/'],
      ['patch', '/patch/1/'],
      ['series', '/series/1/'],
      ['events', '/events'],
      ['list-activity', '/project/demo/stats/'],
      ['login', '/login'],
      // the admin's pages (logged in as the admin; the screenshot list takes the tokens page only)
      ['admin-users', '/admin/users', 'admin'],
      ['admin-user', '/admin/users/ada', 'admin'],
      ['admin-projects', '/admin/projects', 'admin'],
      ['admin-maintainers', '/admin/projects/demo/maintainers', 'admin'],
      ['admin-tokens', '/admin/tokens', 'admin'],
    ] as const;

  /** The page at `path`, as the admin when `who` says so (logging in through the form first), else anonymous. */
  const visit = async (page: Page, origin: string, path: string, who?: string) => {
    const res = await page.goto(`${origin}${path}`);
    if (who !== 'admin' || !page.url().startsWith(`${origin}/login`)) return res;
    await page.fill('input[name=user]', TEST_USER);
    await page.fill('input[name=password]', TEST_PASSWORD);
    const [answer] = await Promise.all([page.waitForNavigation(), page.click('button:has-text("Log in")')]);
    return answer;
  };

  it('axe-core finds no serious or critical violation on the main pages, in the light and the dark theme', async () => {
    const { page, origin } = browser;
    const found: string[] = [];
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const [name, path, who] of pages()) {
      await page.emulateMedia({ colorScheme });
      expect((await visit(page, origin, path, who))?.status(), path).toBe(200);
      expect(page.url(), name).toBe(`${origin}${path}`);
      // evaluated over the DevTools protocol, which the page's Content Security Policy does not restrict
      await page.evaluate(axe.source);
      const violations = await page.evaluate<AxeViolation[]>(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)`);
      for (const v of violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'))
        found.push(`${name} (${colorScheme}): ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')}`);
      }
      await browser.context.clearCookies();
    }
    await page.emulateMedia({ colorScheme: 'light' });
    expect(found).toEqual([]);
  }, 180_000);

  it('renders each main page: the heading shows and the screenshot is not blank', async () => {
    const { page, origin, context } = browser;
    const dir = process.env.SCREENSHOTS_DIR ? resolve(process.env.SCREENSHOTS_DIR) : browser.temp('pt-screens-');
    mkdirSync(dir, { recursive: true });
    for (const [name, path, who] of pages()) {
      if (who && name !== 'admin-tokens') continue;
      expect((await visit(page, origin, path, who))?.status(), path).toBe(200);
      expect(page.url(), name).toBe(`${origin}${path}`);
      expect(await page.locator('main h1').isVisible(), name).toBe(true);
      // the stylesheet loaded under the CSP (the browser's default font would be a serif)
      expect(await page.evaluate<string>('getComputedStyle(document.body).fontFamily')).toContain('system-ui');
      const png = await page.screenshot({ fullPage: true });
      writeFileSync(join(dir, `${name}.png`), png);
      // a blank or unstyled page has a handful of colours; text, tables and plots have hundreds
      expect(await distinctColours(context, png), name).toBeGreaterThan(100);
    }
    await context.clearCookies();
  }, 180_000);
});
