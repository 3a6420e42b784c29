/**
 * POST /api/v1/mail: one mail as a `message/rfc822` body (for email-to-HTTP services), stored like
 * parsemail stores it. 201 with what was created, 200 for a duplicate, 202 with the reason when the mail
 * was dropped (it is kept in mail_dropped; so is a mail over the size limit, cut to it), 503 when the
 * database cannot be reached (send it again later). Writing needs authentication.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { Database } from '../db/client.js';
import { MAX_MAIL_BYTES } from '../mail/parse.js';
import { isDatabaseUnavailable, MailStore, shortErrorMessage, type StoreOutcome } from '../mail/store/mail-store.js';
import { guard, type Guard } from './auth-guard.js';
import type { ApiEnv } from './context.js';
import { jsonError } from './errors.js';

export interface MailRouteDeps {
  db: Database;
  requireWrite: Guard;
  /** bytes of a mail kept whole (default MAX_MAIL_BYTES, as for the CLI); a larger mail is kept cut, as dropped */
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

/** The body's first `max` bytes, and whether there was more (the rest is not read). */
async function readBody(c: Context<ApiEnv>, max: number): Promise<{ raw: Buffer; truncated: boolean }> {
  const stream = c.req.raw.body;
  if (!stream) return { raw: Buffer.alloc(0), truncated: false };
  const parts: Buffer[] = [];
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { raw: Buffer.concat(parts, size), truncated: false };
    if (size + value.length > max) {
      parts.push(Buffer.from(value.subarray(0, max - size)));
      await reader.cancel();
      return { raw: Buffer.concat(parts, max), truncated: true };
    }
    parts.push(Buffer.from(value));
    size += value.length;
  }
}

export function mailRoutes(deps: MailRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const store = deps.store ?? new MailStore(deps.db);
  const maxBytes = deps.maxBytes ?? MAX_MAIL_BYTES;

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
    async (c) => {
      const { raw, truncated } = await readBody(c, maxBytes);
      if (!raw.length) return jsonError(c, 'empty_mail', 'the request body is empty: send the whole RFC 822 message', 'body');
      const listId = c.req.query('list_id')?.trim() || null;
      let outcome: StoreOutcome;
      try {
        outcome = await store.storeOne({ raw, listId, truncated });
      } catch (err) {
        // one short line: the driver's error would carry the failed query with the whole mail in base64
        const message = shortErrorMessage(err);
        if (!isDatabaseUnavailable(err)) throw new Error(`storing a mail failed: ${message}`);
        c.get('logger').warn({ err: message }, 'mail not stored: the database cannot be reached');
        c.header('Retry-After', '60');
        return jsonError(c, 'database_unavailable', 'the database cannot be reached now; send the mail again later');
      }
      const status = outcome.status === 'duplicate' ? 200 : outcome.status === 'dropped' ? 202 : 201;
      return c.json(body(outcome), status);
    },
  );
  return app;
}
