/** A JSON body that does not parse is a 400 naming `body` (ahead of the route's schema validation). */
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../errors.js';

export const parsableJson: MiddlewareHandler = async (c, next) => {
  if (/^application\/([a-z-.]+\+)?json/i.test(c.req.header('content-type') ?? '')) {
    await c.req.json().catch(() => {
      throw new AppError('invalid_request', 'the body is not valid JSON', { field: 'body' });
    });
  }
  await next();
};
