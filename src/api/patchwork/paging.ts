/**
 * Patchwork's pagination: `page` (from 1) and `per_page` (default 30, at most 250), with an RFC 5988 Link
 * header (next, prev, first, last). A page past the end is a 404 as in Django REST framework.
 */
import type { Context } from 'hono';
import { AppError, invalidInput } from '../../errors.js';

export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 250;

export interface Page {
  page: number;
  perPage: number;
  limit: number;
  offset: number;
}

function positiveInt(value: string | undefined, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw invalidInput(field, 'expected a positive integer');
  return Number(value);
}

export function parsePage(c: Context): Page {
  const page = positiveInt(c.req.query('page'), 'page') ?? 1;
  const perPage = Math.min(positiveInt(c.req.query('per_page'), 'per_page') ?? DEFAULT_PER_PAGE, MAX_PER_PAGE);
  return { page, perPage, limit: perPage, offset: (page - 1) * perPage };
}

/** Sets the Link header for a page of `count` rows; throws 404 for a page past the end (except page 1). */
export function setPageLinks(c: Context, p: Page, count: number, origin: string): void {
  const last = Math.max(1, Math.ceil(count / p.perPage));
  if (p.page > last) throw new AppError('not_found', 'Invalid page.', { field: 'page' });
  const url = new URL(c.req.url);
  const link = (page: number, rel: string) => {
    const u = new URL(url.pathname + url.search, origin);
    u.searchParams.set('page', String(page));
    u.searchParams.set('per_page', String(p.perPage));
    return `<${u.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (p.page < last) links.push(link(p.page + 1, 'next'));
  if (p.page > 1) links.push(link(p.page - 1, 'prev'));
  links.push(link(1, 'first'), link(last, 'last'));
  c.header('Link', links.join(', '));
}
