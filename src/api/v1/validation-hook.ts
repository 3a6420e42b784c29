/** How every /api/v1 route answers a request its zod schema refuses: our error body, naming the field. */
import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { firstIssue } from '../../input.js';
import { jsonError } from '../errors.js';

export function validationHook(result: { success: boolean; error?: unknown }, c: Context) {
  if (!result.success) {
    const { field, message } = firstIssue(result.error as z.ZodError);
    return jsonError(c, 'invalid_request', message, field);
  }
  return undefined;
}
