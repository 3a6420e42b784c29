/** Query and form values of the pages, checked at the edge: bad input is an invalid_request naming the field. */
import type { Context } from 'hono';
import { invalidInput } from '../errors.js';
import type { PatchChange } from '../patchwork/patch-update.js';

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
  const last: unknown = Array.isArray(v) ? v.at(-1) : v;
  return typeof last === 'string' ? last : undefined;
}

/** Every value of a repeated form field (ticked checkboxes), as the raw form parsed with `{ all: true }` gives them. */
export function formList(form: Record<string, unknown>, name: string): string[] {
  const v = form[name];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

/**
 * A patch change from the change form (one patch, a series, the list's bulk action), Patchwork's way:
 * an empty field leaves that part alone; `none` as the delegate clears it.
 */
export function patchChangeOf(form: Record<string, unknown>): PatchChange {
  const state = formText(form, 'state')?.trim();
  const delegate = formText(form, 'delegate')?.trim();
  return {
    state: state || undefined,
    delegate: !delegate ? undefined : delegate.toLowerCase() === 'none' ? null : delegate,
    archived: yesNo(formText(form, 'archived')?.trim(), 'archived'),
  };
}
