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
import { recordRangeEvent } from '../../src/events/service.js';
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
    ] as const;

  it('axe-core finds no serious or critical violation on the main pages, in the light and the dark theme', async () => {
    const { page, origin } = browser;
    const found: string[] = [];
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const [name, path] of pages()) {
      await page.emulateMedia({ colorScheme });
      expect((await page.goto(`${origin}${path}`))?.status(), path).toBe(200);
      // evaluated over the DevTools protocol, which the page's Content Security Policy does not restrict
      await page.evaluate(axe.source);
      const violations = await page.evaluate<AxeViolation[]>(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)`);
      for (const v of violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'))
        found.push(`${name} (${colorScheme}): ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')}`);
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    expect(found).toEqual([]);
  }, 180_000);

  it('renders each main page: the heading shows and the screenshot is not blank', async () => {
    const { page, origin, context } = browser;
    const dir = process.env.SCREENSHOTS_DIR ? resolve(process.env.SCREENSHOTS_DIR) : browser.temp('pt-screens-');
    mkdirSync(dir, { recursive: true });
    for (const [name, path] of pages()) {
      expect((await page.goto(`${origin}${path}`))?.status(), path).toBe(200);
      expect(await page.locator('main h1').isVisible(), name).toBe(true);
      // the stylesheet loaded under the CSP (the browser's default font would be a serif)
      expect(await page.evaluate<string>('getComputedStyle(document.body).fontFamily')).toContain('system-ui');
      const png = await page.screenshot({ fullPage: true });
      writeFileSync(join(dir, `${name}.png`), png);
      // a blank or unstyled page has a handful of colours; text, tables and plots have hundreds
      expect(await distinctColours(context, png), name).toBeGreaterThan(100);
    }
  }, 180_000);
});
