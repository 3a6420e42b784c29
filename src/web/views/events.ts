/** The events feed: the mail side's and the trackings' events, newest first, as a page and as an Atom feed. */
import { html, raw } from 'hono/html';
import type { MailProjectRow } from '../../db/schema/mail.js';
import type { EventRecord } from '../../events/service.js';
import { layout, options, query, when, type Html, type PageContext } from '../layout.js';

export interface EventFilters {
  project?: string;
  tracking?: string;
  kind?: string;
}

export interface EventsView {
  rows: EventRecord[];
  filters: EventFilters;
  kinds: readonly string[];
  projects: MailProjectRow[];
  nextBefore?: number;
}

/** Where an event happened: its patch, series or cover, or its tracking. */
export function eventSubject(e: EventRecord): Html {
  if (e.patchId !== null) return html`<a href="/patch/${e.patchId}/">patch ${e.patchId}</a>`;
  if (e.seriesId !== null) return html`<a href="/series/${e.seriesId}/">series ${e.seriesId}</a>`;
  if (e.coverId !== null) return html`cover ${e.coverId}`;
  if (e.trackingId !== null) return html`<a href="/trackings/${e.trackingId}">tracking ${e.trackingId}</a>`;
  return html``;
}

function subjectPath(e: EventRecord): string | undefined {
  if (e.patchId !== null) return `/patch/${e.patchId}/`;
  if (e.seriesId !== null) return `/series/${e.seriesId}/`;
  if (e.trackingId !== null) return `/trackings/${e.trackingId}`;
  return undefined;
}

/** The payload's fields a person cares about, as "previous → current" or "key: value". */
function details(e: EventRecord): string {
  const p = e.payload;
  if ('previous' in p || 'current' in p) return `${describe(p.previous)} → ${describe(p.current)}`;
  return Object.entries(p)
    .filter(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v))
    .map(([k, v]) => `${k}: ${describe(v)}`)
    .join(', ');
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return String(o.name ?? o.slug ?? o.email ?? o.username ?? o.id ?? JSON.stringify(o));
  }
  return String(v);
}

export function eventsPage(ctx: PageContext, v: EventsView): Html {
  const f = v.filters;
  const projectName = new Map(v.projects.map((p) => [p.id, p]));
  return layout(
    ctx,
    'Events',
    html`<form class="filters" method="get" action="/events">
<label>Mailing list<select name="project">${options([['', 'any'], ...v.projects.map((p) => [p.linkName, p.name] as const)], f.project)}</select></label>
<label>Tracking<input name="tracking" value="${f.tracking ?? ''}" inputmode="numeric" placeholder="id"></label>
<label>Kind<select name="kind">${options([['', 'any'], ...v.kinds.map((k) => [k, k] as const)], f.kind)}</select></label>
<button type="submit">Filter</button></form>
<p><a href="/events.atom${query({ ...f })}">Atom feed of these events</a></p>
${v.rows.length ? html`<table><thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Where</th><th scope="col">About</th><th scope="col">Details</th><th scope="col">By</th></tr></thead><tbody>
${raw(v.rows.map((e) => {
  const project = e.projectId !== null ? projectName.get(e.projectId) : undefined;
  return html`<tr><td>${when(e.date)}</td><td>${e.category}</td><td>${project ? html`<a href="/project/${encodeURIComponent(project.linkName)}/list/">${project.name}</a>` : e.trackingId !== null ? 'tracking' : ''}</td><td>${eventSubject(e)}</td><td>${details(e)}</td><td>${e.actor ?? ''}</td></tr>`;
}).join(''))}
</tbody></table>` : html`<p class="muted">No events match.</p>`}
<nav class="pager" aria-label="pages">${v.nextBefore !== undefined ? html`<a rel="next" href="/events${query({ ...f, before: v.nextBefore })}">Older events →</a>` : ''}</nav>`,
  );
}

/** The same events as an Atom feed; `origin` makes the links absolute. */
export function eventsAtom(v: EventsView, origin: string, self: string): Html {
  const updated = (v.rows[0]?.date ?? new Date(0)).toISOString();
  return html`<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>patch-tracking events</title>
<id>${origin}/events</id>
<link rel="self" href="${origin}${self}"/>
<link rel="alternate" type="text/html" href="${origin}/events${query({ ...v.filters })}"/>
<updated>${updated}</updated>
<author><name>patch-tracking</name></author>
${raw(v.rows.map((e) => {
  const path = subjectPath(e);
  const about = path ? path.replace(/^\/|\/$/g, '').replace('/', ' ').replace('trackings', 'tracking') : '';
  const summary = [details(e), e.actor ? `by ${e.actor}` : ''].filter(Boolean).join(' ');
  return html`<entry><id>${origin}/events#${e.id}</id><title>${e.category}${about ? ` ${about}` : ''}</title><updated>${e.date.toISOString()}</updated>${path ? html`<link href="${origin}${path}"/>` : ''}${summary ? html`<summary>${summary}</summary>` : ''}</entry>`;
}).join('\n'))}
</feed>`;
}
