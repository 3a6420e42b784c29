/**
 * Progressive enhancement: htmx is served by the app from the installed npm package under a CSP that allows
 * scripts from the site only; the list filters and the bulk form carry htmx attributes beside their plain
 * method and action, so they work the same without JavaScript; no page holds an inline script.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, logIn, type World } from './world.js';

let world: World;
let jar: string;
beforeAll(async () => {
  world = await createWorld();
  ({ jar } = await logIn(world));
});
afterAll(() => world?.close());

const page = async (path: string) => {
  const res = await world.app.request(path, { headers: { cookie: jar } });
  return { res, html: await res.text() };
};

describe('htmx', () => {
  it('is served from the htmx.org package, as JavaScript, cacheable', async () => {
    const res = await world.app.request('/static/htmx.min.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    const installed = readFileSync(createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'), 'utf8');
    expect(await res.text()).toBe(installed);
    expect(installed.length).toBeGreaterThan(10_000);
  });

  it('every page loads it from the site under a CSP without inline scripts or eval', async () => {
    for (const path of ['/', '/trackings', `/trackings/${world.trackings.failing.id}`, '/project/demo/list/', '/patch/1/', '/series/1/', '/login']) {
      const { res, html } = await page(path);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp, path).toContain("script-src 'self'");
      expect(csp).not.toMatch(/unsafe-(inline|eval)/);
      expect(html, path).toContain('<script src="/static/htmx.min.js" defer></script>');
      // every script element has a src: nothing inline
      expect(html.match(/<script(?![^>]*\ssrc=)[^>]*>/g) ?? [], path).toEqual([]);
      expect(html).toContain('&quot;allowEval&quot;:false');
    }
  });

  it('the filters and the bulk form update in place with htmx and keep their plain method and action', async () => {
    const list = await page('/project/demo/list/');
    expect(list.html).toMatch(/<form class="filters" method="get" action="\/project\/demo\/list\/" hx-get="\/project\/demo\/list\/" hx-target="main" hx-select="main" hx-swap="outerHTML" hx-push-url="true"/);
    expect(list.html).toMatch(/<form method="post" action="\/patches\/bulk" hx-post="\/patches\/bulk" hx-target="main" hx-select="main" hx-swap="outerHTML">/);
    const trackings = await page('/trackings');
    expect(trackings.html).toMatch(/<form class="filters" method="get" action="\/trackings" hx-get="\/trackings"/);
  });
});
