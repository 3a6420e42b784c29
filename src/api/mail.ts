/**
 * POST /api/v1/mail: one mail as a `message/rfc822` body (for email-to-HTTP services), stored like
 * parsemail stores it. 201 with what was created, 200 for a duplicate, 202 with the reason when the mail
 * was dropped (it is kept in mail_dropped; so is a mail over the size limit, cut to it), 503 when the
 * database cannot be reached (send it again later). Writing needs authentication. A mail without a List-Id
 * header (what `git format-patch` writes) needs `?list_id=`. The path is relative to /api/v1.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Database } from '../db/client.js';
import { MAX_MAIL_BYTES } from '../mail/parse.js';
import { isDatabaseUnavailable, MailStore, shortErrorMessage, type StoreOutcome } from '../mail/store/mail-store.js';
import { guard, type Guard } from './auth-guard.js';
import type { ApiEnv } from './context.js';
import { AppError } from '../errors.js';
import { jsonError } from './errors.js';
import { commonErrors, errorJson, json, security } from './v1/params.js';
import { validationHook } from './v1/validation-hook.js';

export interface MailRouteDeps {
  db: Database;
  requireWrite: Guard;
  /** bytes of a mail kept whole (default MAX_MAIL_BYTES, as for the CLI); a larger mail is kept cut, as dropped */
  maxBytes?: number;
  /** shared store (keeps its caches across requests); one is made when absent */
  store?: MailStore;
}

const stored = { id: z.number().int(), msgid: z.string(), project_id: z.number().int() };

export const mailOutcomeSchema = z
  .union([
    z.object({ status: z.literal('patch'), ...stored, series_id: z.number().int().nullable(), number: z.number().int().nullable().openapi({ description: 'its place in the series' }) }),
    z.object({ status: z.literal('cover'), ...stored, series_id: z.number().int().nullable() }),
    z.object({ status: z.literal('comment'), ...stored, patch_id: z.number().int().optional(), cover_id: z.number().int().optional() }),
    z.object({ status: z.literal('duplicate'), msgid: z.string(), project_id: z.number().int().nullable() }),
    z.object({
      status: z.literal('dropped'),
      dropped: z.string().openapi({ description: 'why the mail was not stored (it is kept in mail_dropped)' }),
      msgid: z.string().nullable(),
      project_id: z.number().int().nullable(),
    }),
  ])
  .openapi('MailOutcome');

/** How this route's caller names the list when the mail has none: quoted in the dropped reason. */
const LIST_ID_OPTION = 'list_id: name the list with POST /api/v1/mail?list_id=<list id>';

function body(o: StoreOutcome): z.infer<typeof mailOutcomeSchema> {
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

const mailRoute = createRoute({
  method: 'post',
  path: '/mail',
  summary: 'Store one mail (a patch, cover letter or comment) as the mail ingest does',
  description:
    'The body is the whole RFC 822 message. A mail without a List-Id header (what `git format-patch` writes) is dropped unless `list_id` names the list. ' +
    'A mail larger than the limit is kept cut, as dropped.',
  security,
  request: {
    query: z.object({
      list_id: z
        .string()
        .optional()
        .openapi({ description: "the mailing list's id (e.g. lib-devel.lists.example.org): overrides the mail's List-Id headers; needed when it has none", example: 'lib-devel.lists.example.org' }),
    }),
    body: { content: { 'message/rfc822': { schema: z.string().openapi({ format: 'binary' }) } }, required: true },
  },
  responses: {
    201: json(mailOutcomeSchema, 'stored: a patch, a cover letter or a comment'),
    200: json(mailOutcomeSchema, 'a duplicate of a stored mail (nothing changed)'),
    202: json(mailOutcomeSchema, 'dropped, with the reason (kept in mail_dropped)'),
    ...commonErrors,
    415: errorJson('the body is not message/rfc822'),
    503: errorJson('the database cannot be reached: send the mail again later (Retry-After)'),
  },
});

export function mailRoutes(deps: MailRouteDeps) {
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  const store = deps.store ?? new MailStore(deps.db);
  const maxBytes = deps.maxBytes ?? MAX_MAIL_BYTES;

  app.use('/mail', guard(deps.requireWrite));
  app.openapi(
    {
      ...mailRoute,
      middleware: [
        async (c, next) => {
          const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
          if (type !== 'message/rfc822') {
            return jsonError(c, 'unsupported_media_type', `send the mail as Content-Type: message/rfc822${type ? `, not ${type}` : ''}`, 'content-type');
          }
          return next();
        },
      ],
    },
    async (c) => {
      const { raw, truncated } = await readBody(c, maxBytes);
      if (!raw.length) throw new AppError('empty_mail', 'the request body is empty: send the whole RFC 822 message', { field: 'body' });
      const listId = c.req.valid('query').list_id?.trim() || null;
      let outcome: StoreOutcome;
      try {
        outcome = await store.storeOne({ raw, listId, truncated, listIdOption: LIST_ID_OPTION });
      } catch (err) {
        // one short line: the driver's error would carry the failed query with the whole mail in base64
        const message = shortErrorMessage(err);
        if (!isDatabaseUnavailable(err)) throw new Error(`storing a mail failed: ${message}`);
        c.get('logger').warn({ err: message }, 'mail not stored: the database cannot be reached');
        c.header('Retry-After', '60');
        throw new AppError('database_unavailable', 'the database cannot be reached now; send the mail again later');
      }
      return c.json(body(outcome), outcome.status === 'duplicate' ? 200 : outcome.status === 'dropped' ? 202 : 201);
    },
  );
  return app;
}
