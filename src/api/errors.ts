/** The one place where errors become HTTP answers for /api/v1: `{"error": {"code", "message", "field"}}`. */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError } from '../errors.js';

export function jsonError(c: Context, status: number, code: string, message: string, field?: string) {
  return c.json({ error: { code, message, ...(field ? { field } : {}) } }, status as ContentfulStatusCode);
}

export function appErrorResponse(c: Context, err: AppError) {
  return jsonError(c, err.status, err.code, err.message, err.field);
}

export { AppError };
