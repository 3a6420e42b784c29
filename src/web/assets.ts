/**
 * Browser assets that come from npm packages, served by the app itself (no CDN, CSP 'self'): htmx, which
 * lets the list filters and the bulk form update the page in place. Every page works without it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const resolve = createRequire(import.meta.url).resolve;

/** htmx's minified build, read once from the installed package. */
export const HTMX_JS = readFileSync(resolve('htmx.org/dist/htmx.min.js'), 'utf8');
export const HTMX_PATH = '/static/htmx.min.js';

/**
 * htmx's settings for the strict CSP: no inline style for its indicators, no eval, no script tags from
 * answers; error pages (4xx/5xx) are pages too, so they replace the content like any answer.
 */
export const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  responseHandling: [
    { code: '204', swap: false },
    { code: '...', swap: true },
  ],
});
