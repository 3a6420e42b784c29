/**
 * Query parameters of /api/v1 as zod schemas: the OpenAPI document describes them and the route's
 * validator parses them with the same rules the Patchwork API applies (patchwork/filters.ts), so a bad
 * value is the same 400 naming the parameter everywhere.
 */
import { z } from '@hono/zod-openapi';
import { parseDateValue, parseIdValue } from '../patchwork/filters.js';
import { errorSchema } from './representations.js';

/** A numeric id in the query string (empty: none). */
export const idQuery = (field: string, description: string) =>
  z
    .string()
    .optional()
    .transform((v) => parseIdValue(field, v))
    .openapi({ type: 'string', pattern: '^[0-9]{1,9}$', description });

/** An ISO 8601 date and time (a value without a zone is UTC; empty: none). */
export const dateQuery = (field: string, description: string) =>
  z
    .string()
    .optional()
    .transform((v) => parseDateValue(field, v))
    .openapi({ type: 'string', format: 'date-time', description });

/** One of `values` (empty: none). */
export const enumQuery = <const T extends readonly [string, ...string[]]>(values: T, description: string) =>
  z
    .string()
    .optional()
    .refine((v) => !v || values.includes(v), { message: `expected one of ${values.join(', ')}` })
    .transform((v) => (v ? (v as T[number]) : undefined))
    .openapi({ type: 'string', enum: [...values], description });

/** Free text (empty: none). */
export const textQuery = (description: string) =>
  z
    .string()
    .optional()
    .transform((v) => v || undefined)
    .openapi({ type: 'string', description });

/** Patchwork's pagination (patchwork/paging.ts reads it): documented here, parsed there. */
export const pageQuery = {
  page: z.string().optional().openapi({ type: 'string', pattern: '^[0-9]{1,9}$', description: 'page number, from 1 (a page past the end is a 404)' }),
  per_page: z.string().optional().openapi({ type: 'string', pattern: '^[0-9]{1,9}$', description: 'rows per page (default 30, at most 250)' }),
};

/** A numeric id in the path. */
export const idPath = z.object({
  id: z
    .string()
    .transform((v) => parseIdValue('id', v) as number)
    .openapi({ param: { name: 'id', in: 'path' }, type: 'string', pattern: '^[0-9]{1,9}$' }),
});

export const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
export const errorJson = (description: string) => json(errorSchema, description);

/** The error answers every /api/v1 operation may give. */
export const commonErrors = {
  400: errorJson('invalid request: the error names the field or parameter'),
  401: errorJson('authentication required (or invalid credentials)'),
};

/** Write operations: HTTP Basic (USER/PASSWORD) or a Bearer API token. */
export const security: Array<Record<string, string[]>> = [{ basicAuth: [] }, { bearerAuth: [] }];
