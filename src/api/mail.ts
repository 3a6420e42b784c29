/**
 * POST /api/v1/mail: one mail as a `message/rfc822` body (for email-to-HTTP services), stored like
 * parsemail stores it. 201 with what was created, 200 for a duplicate, 202 with the reason when the mail
 * was dropped (it is kept in mail_dropped). Writing needs authentication.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Database } from '../db/client.js';
import { MailStore, type StoreOutcome } from '../mail/store/mail-store.js';
import { guard, type Guard } from './auth-guard.js';
import type { ApiEnv } from './context.js';
import { jsonError } from './errors.js';

export interface MailRouteDeps {
  db: Database;
  requireWrite: Guard;
  /** largest accepted mail in bytes (default 25 MiB); the app-wide BODY_LIMIT applies first */
  maxBytes?: number;
  /** shared store (keeps its caches across requests); one is made when absent */
  store?: MailStore;
}

function body(o: StoreOutcome): Record<string, unknown> {
  switch (o.status) {
    case 'patch':
      return { status: 'patch', id: o.id, msgid: o.msgid, project_id: o.projectId, series_id: o.seriesId, number: o.number };
    case 'cover':
      return { status: 'cover', id: o.id, msgid: o.msgid, project_id: o.projectId, series_id: o.seriesId };
    case 'comment':
      return { status: 'comment', id: o.id, msgid: o.msgid, project_id: o.projectId, [o.on === 'patch' ? 'patch_id' : 'cover_id']: o.parentId };
    case 'duplicate':
      return { status: 'duplicate', msgid: o.msgid, project_id: o.projectId };
    case 'dropped':
      return { status: 'dropped', dropped: o.reason, msgid: o.msgid, project_id: o.projectId };
  }
}

export function mailRoutes(deps: MailRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const store = deps.store ?? new MailStore(deps.db);
  const maxBytes = deps.maxBytes ?? 25 * 1024 * 1024;

  app.post(
    '/api/v1/mail',
    guard(deps.requireWrite),
    async (c, next) => {
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'message/rfc822') {
        return jsonError(c, 'unsupported_media_type', `send the mail as Content-Type: message/rfc822${type ? `, not ${type}` : ''}`, 'content-type');
      }
      return next();
    },
    bodyLimit({ maxSize: maxBytes, onError: (c) => jsonError(c, 'body_too_large', `the mail is larger than ${maxBytes} bytes`) }),
    async (c) => {
      const raw = Buffer.from(await c.req.arrayBuffer());
      if (!raw.length) return jsonError(c, 'empty_mail', 'the request body is empty: send the whole RFC 822 message', 'body');
      const listId = c.req.query('list_id')?.trim() || null;
      const outcome = await store.storeOne({ raw, listId });
      const status = outcome.status === 'duplicate' ? 200 : outcome.status === 'dropped' ? 202 : 201;
      return c.json(body(outcome), status);
    },
  );
  return app;
}
