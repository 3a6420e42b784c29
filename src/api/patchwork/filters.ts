/** Patchwork's query filters, validated: a bad value is a 400 naming the parameter. */
import type { Context } from 'hono';
import { EVENT_CATEGORIES, type EventFilter } from '../../events/service.js';
import type { Database } from '../../db/client.js';
import { invalidInput as bad } from '../../errors.js';
import type { DateRange } from '../../patchwork/listing.js';
import { findPersonId } from '../../patchwork/people.js';
import { findProject } from '../../patchwork/projects.js';

export function intParam(c: Context, field: string): number | undefined {
  return parseIdValue(field, c.req.query(field));
}

/** A numeric id given as `field` (absent or empty: none); a 400 naming the field otherwise. */
export function parseIdValue(field: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,9}$/.test(v)) throw bad(field, 'expected a numeric id');
  return Number(v);
}

export function dateParam(c: Context, field: string): Date | undefined {
  return parseDateValue(field, c.req.query(field));
}

/** An ISO 8601 date (and time) given as `field` (absent or empty: none); a 400 naming the field otherwise. */
export function parseDateValue(field: string, v: string | undefined): Date | undefined {
  if (v === undefined || v === '') return undefined;
  // ISO 8601 as Patchwork takes it; a value without a zone is UTC (Patchwork's dates are naive UTC)
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(v)) throw bad(field, 'expected an ISO 8601 date and time');
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(v) ? v : `${v.length === 10 ? `${v}T00:00:00` : v}Z`;
  const d = new Date(zoned.replace(' ', 'T'));
  if (Number.isNaN(d.getTime())) throw bad(field, 'expected an ISO 8601 date and time');
  return d;
}

export function boolParam(c: Context, field: string): boolean | undefined {
  const v = c.req.query(field);
  if (v === undefined || v === '') return undefined;
  const lower = v.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(lower)) return true;
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  throw bad(field, 'expected true or false');
}

/** `project` is an id or a link name (any case); an unknown one is a 400 naming the field, as in Patchwork. */
export async function projectParam(db: Database, c: Context): Promise<number | undefined> {
  const v = c.req.query('project');
  if (v === undefined || v === '') return undefined;
  const row = await findProject(db, v, { anyCase: true });
  if (!row) throw bad('project', `no project "${v}"`);
  return row.id;
}

/** `submitter` / `delegate`: a person id or an address; an unknown one is a 400, as in Patchwork. */
export async function personParam(db: Database, c: Context, field: string): Promise<number | undefined> {
  const v = c.req.query(field);
  if (v === undefined || v === '') return undefined;
  const id = await findPersonId(db, v);
  if (id === undefined) throw bad(field, `no person "${v}"`);
  return id;
}

/** `q`: the text a name (or address) contains. */
export function searchParam(c: Context): string | undefined {
  const v = c.req.query('q');
  return v === undefined || v === '' ? undefined : v;
}

export function dateRangeParams(c: Context): DateRange {
  return { since: dateParam(c, 'since'), before: dateParam(c, 'before') };
}

export function msgidParam(c: Context): string | undefined {
  const v = c.req.query('msgid');
  if (v === undefined || v === '') return undefined;
  return v.startsWith('<') ? v : `<${v}>`;
}

/** `order=field` or `order=-field` over the allowed columns. */
export function orderParam<K extends string>(c: Context, allowed: readonly K[], fallback: K): { field: K; desc: boolean } {
  const v = c.req.query('order');
  if (v === undefined || v === '') return { field: fallback, desc: false };
  const desc = v.startsWith('-');
  const field = (desc ? v.slice(1) : v) as K;
  if (!allowed.includes(field)) throw bad('order', `expected one of ${allowed.join(', ')} (with - for descending)`);
  return { field, desc };
}

/** The event filters both event APIs take: category (repeatable), project, patch, cover, series, tracking, range, since, before. */
export async function eventFilterParams(db: Database, c: Context): Promise<EventFilter> {
  const categories = c.req.queries('category')?.filter(Boolean);
  for (const cat of categories ?? []) if (!EVENT_CATEGORIES.includes(cat)) throw bad('category', `expected one of ${EVENT_CATEGORIES.join(', ')}`);
  return {
    categories: categories?.length ? categories : undefined,
    projectId: await projectParam(db, c),
    patchId: intParam(c, 'patch'),
    coverId: intParam(c, 'cover'),
    seriesId: intParam(c, 'series'),
    trackingId: intParam(c, 'tracking'),
    publicationId: intParam(c, 'range'),
    since: dateParam(c, 'since'),
    before: dateParam(c, 'before'),
  };
}
