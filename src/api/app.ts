/**
 * The HTTP API: the old program's routes (/tracking, /issue) and /api/v1, behind one error policy:
 * bad input is a 4xx that says what is wrong; anything unexpected is a 500 with a request id, logged,
 * never a stack trace in the answer.
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { Authenticator } from '../auth/authenticator.js';
import type { Database } from '../db/client.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { makeGuard, openGuard } from './auth-guard.js';
import { compatRoutes, COMPAT_CODES, envelope } from './compat.js';
import type { ApiEnv } from './context.js';
import { appErrorResponse, jsonError } from './errors.js';
import { renderDocsPage } from './v1/docs-page.js';
import { v1Routes, type V1Deps } from './v1/routes.js';

export interface ApiDeps {
  db: Database;
  authenticator: Authenticator;
  logger: Logger;
  readAuth: boolean;
  bodyLimit: number;
  version?: string;
  scanNow?: V1Deps['scanNow'];
  resolveCommit?: V1Deps['resolveCommit'];
  /** extra route groups mounted by other parts of the service (mail, CI, webhooks) */
  mount?: (app: Hono<ApiEnv>, guards: { requireWrite: ReturnType<typeof makeGuard>; requireRead: ReturnType<typeof makeGuard> }) => void;
}

const COMPAT_PATHS = new Set(['/tracking', '/issue']);

export function createApi(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const compatWrite = makeGuard(deps.authenticator, 'compat');
  const compatRead = deps.readAuth ? compatWrite : openGuard;
  const jsonWrite = makeGuard(deps.authenticator, 'json');
  const jsonRead = deps.readAuth ? jsonWrite : openGuard;

  app.use('*', async (c, next) => {
    c.set('logger', deps.logger);
    await next();
  });

  app.use(
    '*',
    bodyLimit({
      maxSize: deps.bodyLimit,
      onError: (c) =>
        COMPAT_PATHS.has(c.req.path)
          ? c.json({ code: COMPAT_CODES.INPUT_PARAMETERS_ERROR, msg: 'Please enter the correct parameters', data: null, detail: `the body is larger than ${deps.bodyLimit} bytes` }, 413)
          : jsonError(c, 413, 'body_too_large', `the body is larger than ${deps.bodyLimit} bytes`),
    }),
  );

  // The old CLI probes HEAD / before every command.
  app.on(['GET', 'HEAD'], '/', (c) => c.text('patch-tracking'));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.route('/', compatRoutes(deps.db, compatWrite, compatRead, deps.resolveCommit));

  const v1 = v1Routes({ db: deps.db, requireWrite: jsonWrite, requireRead: jsonRead, scanNow: deps.scanNow, resolveCommit: deps.resolveCommit });
  const openapi = () =>
    v1.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'patch-tracking API',
        version: deps.version ?? '1',
        description: 'Trackings, the issues and PRs the bot opened, and API tokens. Write operations need HTTP Basic (USER/PASSWORD) or a Bearer API token.',
      },
      servers: [{ url: '/api/v1' }],
    });
  app.get('/api/v1/openapi.json', (c) => c.json(openapi()));
  app.get('/api/v1/docs', (c) => c.html(renderDocsPage(openapi() as unknown as Record<string, unknown>)));
  app.route('/api/v1', v1);

  deps.mount?.(app, { requireWrite: jsonWrite, requireRead: jsonRead });

  app.notFound((c) => {
    if (COMPAT_PATHS.has(c.req.path)) return c.text('Method Not Allowed', 405);
    return jsonError(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`);
  });

  app.onError((err, c) => {
    if (err instanceof AppError) {
      return COMPAT_PATHS.has(c.req.path) ? envelope(c, COMPAT_CODES.INPUT_PARAMETERS_ERROR, null, err.message) : appErrorResponse(c, err);
    }
    if (err instanceof HTTPException && err.status < 500) {
      if (COMPAT_PATHS.has(c.req.path)) return envelope(c, COMPAT_CODES.INPUT_PARAMETERS_ERROR, null, err.message);
      return jsonError(c, err.status, 'invalid_request', err.message || 'invalid request');
    }
    const requestId = randomUUID();
    deps.logger.error({ err, requestId, method: c.req.method, path: c.req.path }, 'request failed');
    return jsonError(c, 500, 'internal_error', `internal error (request id ${requestId}); see the service log`);
  });

  return app;
}
