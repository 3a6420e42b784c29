/**
 * The dashboard served on a local port and Debian's chromium driven over CDP (playwright-core with
 * executablePath: nothing downloads a browser). Browser tests are skipped when chromium is not installed
 * (.ci/install-test-deps.sh installs it).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { World } from './world.js';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`browser test skipped: ${CHROMIUM} is not installed (apt-get install chromium)`);

export interface Browser {
  origin: string;
  context: BrowserContext;
  page: Page;
  /** a temporary folder, removed by close() */
  temp(prefix: string): string;
  close(): Promise<void>;
}

/** Chromium with a fresh profile in `profileDir`; the flags keep it from phoning home or syncing. */
export function launchChromium(profileDir: string, options: { javaScriptEnabled?: boolean } = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
    ...options,
  });
}

export async function openBrowser(world: World): Promise<Browser> {
  const dirs: string[] = [];
  const temp = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  let server: ServerType | undefined;
  await new Promise<void>((resolve) => {
    server = serve({ fetch: world.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve());
  });
  const origin = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  const context = await launchChromium(temp('pt-chromium-'));
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    origin,
    context,
    page,
    temp,
    async close() {
      await context.close();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * How many distinct colours a PNG has, counted by the browser itself in a blank tab (no dependency to decode
 * PNG here): a blank or failed page has one or two, a rendered page with text and tables hundreds.
 */
export async function distinctColours(context: BrowserContext, png: Buffer): Promise<number> {
  const tab = await context.newPage();
  try {
    // a string: the test code is compiled without the DOM's types, and this runs in the page
    return await tab.evaluate<number>(`(async () => {
      const img = new Image();
      img.src = 'data:image/png;base64,${png.toString('base64')}';
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const g = canvas.getContext('2d');
      g.drawImage(img, 0, 0);
      const data = g.getImageData(0, 0, img.width, img.height).data;
      const seen = new Set();
      for (let i = 0; i < data.length; i += 4) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return seen.size;
    })()`);
  } finally {
    await tab.close();
  }
}
