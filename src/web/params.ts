/** Query and form values of the pages, checked at the edge: bad input is an invalid_request naming the field. */
import type { Context } from 'hono';
import { invalidInput } from '../errors.js';

export function text(c: Context, name: string): string | undefined {
  const v = c.req.query(name)?.trim();
  return v ? v : undefined;
}

export function positiveInt(value: string | undefined, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw invalidInput(field, `"${value}" is not a positive whole number`);
  return Number(value);
}

export function intQuery(c: Context, name: string): number | undefined {
  return positiveInt(text(c, name), name);
}

/** `yes`/`no` (and the usual spellings of both); empty means "either". */
export function yesNo(value: string | undefined, field: string): boolean | undefined {
  if (value === undefined || value === '' || value === 'both') return undefined;
  if (['yes', 'true', '1', 'on'].includes(value)) return true;
  if (['no', 'false', '0', 'off'].includes(value)) return false;
  throw invalidInput(field, `"${value}" is not yes, no or both`);
}

export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], field: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw invalidInput(field, `"${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

/** The id in the path (`/trackings/:id`, `/patch/:id`). */
export function idParam(c: Context): number {
  return positiveInt(c.req.param('id'), 'id') as number;
}

/** A form field as a string (a file upload is not a field value). */
export function formText(form: Record<string, unknown>, name: string): string | undefined {
  const v = form[name];
  return typeof v === 'string' ? v : undefined;
}
