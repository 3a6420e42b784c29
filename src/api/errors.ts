/**
 * The API's error answer: `{"error": {"code", "message", "field"}}` with the status `http/status.ts` gives
 * the code. Routes only name codes.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppError } from '../errors.js';
import { statusOf } from '../http/status.js';

/** The JSON error answer for a code; `status` only for statuses that come from Hono itself (HTTPException). */
export function jsonError(c: Context, code: string, message: string, field?: string, status: number = statusOf(code)) {
  return c.json({ error: { code, message, ...(field ? { field } : {}) } }, status as ContentfulStatusCode);
}

export function appErrorResponse(c: Context, err: AppError) {
  return jsonError(c, err.code, err.message, err.field, statusOf(err));
}
