/** The frame every dashboard page shares, and small formatting helpers for the views. */
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { HTMX_CONFIG, HTMX_PATH } from './assets.js';
import { CSRF_FIELD } from './session.js';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface PageContext {
  /** who is logged in */
  principal?: string;
  /** whether the login may manage users and tokens (the admin pages are in the nav) */
  admin?: boolean;
  csrf: string;
  /** the page's own path and query (where login returns to) */
  here: string;
}

export function layout(ctx: PageContext, title: string, body: Html): Html {
  const who = ctx.principal
    ? html`<span>${ctx.principal}</span><form method="post" action="/logout">${csrfField(ctx)}<button type="submit">Log out</button></form>`
    : html`<a href="/login?next=${encodeURIComponent(ctx.here)}">Log in</a>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · patch-tracking</title><link rel="stylesheet" href="/static/dashboard.css">
<meta name="htmx-config" content="${HTMX_CONFIG}"><script src="${HTMX_PATH}" defer></script></head>
<body><header><strong><a href="/">patch-tracking</a></strong><a href="/">Overview</a><a href="/trackings">Trackings</a><a href="/#lists">Mailing lists</a><a href="/events">Events</a>${ctx.admin ? html`<a href="/admin/users">Users</a><a href="/admin/projects">Maintainers</a><a href="/admin/tokens">Tokens</a>` : ''}<span class="who">${who}</span></header>
<main><h1>${title}</h1>${body}</main></body></html>`;
}

export function csrfField(ctx: PageContext): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${ctx.csrf}">`;
}

export function when(d: Date | null | undefined): Html {
  return d ? html`<time datetime="${d.toISOString()}">${d.toISOString().replace('T', ' ').slice(0, 16)}</time>` : html`<span class="muted">—</span>`;
}

export function statusText(status: string): Html {
  return html`<span class="status-${status}">${status}</span>`;
}

export function checkText(state: string | null | undefined): Html {
  return state ? html`<span class="check-${state}">${state}</span>` : html`<span class="muted">—</span>`;
}

export function link(href: string | null | undefined, text: string): Html {
  return href && /^https?:\/\//.test(href) ? html`<a href="${href}">${text}</a>` : html`${text}`;
}

/** A query string from the filters in force, without the empty ones. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** `<option>`s with the current one selected. */
export function options(values: ReadonlyArray<readonly [string, string]>, current: string | undefined): Html {
  return raw(values.map(([v, label]) => html`<option value="${v}"${v === (current ?? '') ? raw(' selected') : ''}>${label}</option>`).join(''));
}

/**
 * htmx attributes that make a form update the page's content in place (the answer's <main> replaces this
 * one); the form still submits as usual without JavaScript. `pushUrl`: the address bar follows (filters).
 */
export function inPlace(method: 'get' | 'post', action: string, options: { pushUrl?: boolean } = {}): Html {
  return html`hx-${method}="${action}" hx-target="main" hx-select="main" hx-swap="outerHTML"${options.pushUrl ? raw(' hx-push-url="true"') : ''}`;
}
