/**
 * The HTTP API, every route group of the service composed here and nowhere else: the old program's routes
 * (/tracking, /issue), /api/v1 (trackings, issues, tokens, mail, checks, events, testers, CI), the
 * Patchwork API and its web paths, Gitee's webhooks, and the maintainers' dashboard (src/web). One error policy: bad input is a 4xx that says
 * what is wrong; anything unexpected is a 500 with a request id, logged, never a stack trace in the answer.
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { Authenticator } from '../auth/authenticator.js';
import type { Scope } from '../auth/scopes.js';
import type { CiSettings } from '../ci/publish-hook.js';
import type { ChangeWatch } from '../db/changes.js';
import type { Database } from '../db/client.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CompareOptions } from '../mail/compare/compare.js';
import { UpstreamPolicy } from '../sources/upstream-policy.js';
import { MailStore } from '../mail/store/mail-store.js';
import { requestFacts } from '../http/request.js';
import { makeGuard, openGuard } from './auth-guard.js';
import { checksRoutes } from './checks/routes.js';
import { ciRoutes, CI_DISABLED } from './ci.js';
import { compatRoutes, COMPAT_CODES, envelope } from './compat.js';
import type { ApiEnv } from './context.js';
import { appErrorResponse, jsonError } from './errors.js';
import { eventsRoutes } from './events/routes.js';
import { mailRoutes, type MailRouteDeps } from './mail.js';
import { refuseNul } from './nul-guard.js';
import { patchworkRoutes } from './patchwork/routes.js';
import { publicInboxRoutes } from './public-inbox/routes.js';
import { testerRoutes } from './testers/routes.js';
import { openApiDocument, renderDocsPage } from './v1/docs-page.js';
import { v1Routes, type V1Deps } from './v1/routes.js';
import { projectRoutes } from './v1/projects.js';
import { seriesCompareRoutes } from './v1/series-compare.js';
import { giteeWebhookRoutes, type GiteeWebhookDeps } from './webhooks/gitee.js';
import { webRoutes, type WebDeps } from '../web/routes.js';

export interface ApiDeps {
  db: Database;
  authenticator: Authenticator;
  logger: Logger;
  readAuth: boolean;
  bodyLimit: number;
  version?: string;
  scanNow?: V1Deps['scanNow'];
  /** GET /api/v1/trackings/{id}/upstreamed and the dashboard's section (src/upstreamed) */
  upstreamed?: V1Deps['upstreamed'];
  /** an abbreviated scm_commit made full when the upstream answers (tracker/commit-id.ts) */
  resolveCommit?: V1Deps['resolveCommit'];
  /** which upstream URLs a tracking may name (ALLOW_LOCAL_UPSTREAMS, UPSTREAM_ALLOW_HOSTS); default: no local ones */
  upstreamPolicy?: UpstreamPolicy;
  /** the CI handler for /api/v1/ci; without it the route answers that CI is not configured */
  ci?: CiSettings;
  /** POST /api/v1/mail: its size limit and a shared store */
  mail?: Pick<MailRouteDeps, 'maxBytes' | 'store'>;
  /** proxies believed about X-Forwarded-For/-Proto/-Host (TRUSTED_PROXIES) */
  trustedProxies?: readonly string[];
  /** where GET /api/v1/series/{id}/compare finds upstream mirrors */
  compare?: CompareOptions;
  /** Gitee's webhooks (served only when given) */
  gitee?: Omit<GiteeWebhookDeps, 'db'>;
  /** the maintainer commands the dashboard offers (retry, propose a rejected range again) */
  lifecycle?: WebDeps['lifecycle'];
  /** when the tracking table changed (the database handle's): with it, one-row compat lookups are kept in memory */
  trackingChanges?: ChangeWatch;
}

const COMPAT_PATHS = new Set(['/tracking', '/issue']);
const OWN_BODY_LIMIT_PATHS = new Set(['/api/v1/mail']);

export function createApi(deps: ApiDeps): Hono<ApiEnv> {
  // '/x' and '/x/' are one route (Patchwork's clients add or drop the slash; so may anyone's)
  const app = new Hono<ApiEnv>({ strict: false });
  // Who may do what: each route group's writes need one scope (src/auth/scopes.ts); reads need `read`
  // when READ_AUTH is on, and are open otherwise.
  const needs = (scope: Scope) => makeGuard(deps.authenticator, 'json', scope);
  const compatWrite = makeGuard(deps.authenticator, 'compat', 'trackings');
  const compatRead = deps.readAuth ? makeGuard(deps.authenticator, 'compat', 'read') : openGuard;
  const jsonRead = deps.readAuth ? needs('read') : openGuard;

  app.use('*', async (c, next) => {
    c.set('logger', deps.logger);
    await next();
  });
  app.use('*', requestFacts(deps.trustedProxies ?? []));

  const appBodyLimit = bodyLimit({
    maxSize: deps.bodyLimit,
    onError: (c) =>
      COMPAT_PATHS.has(c.req.path)
        ? c.json({ code: COMPAT_CODES.INPUT_PARAMETERS_ERROR, msg: 'Please enter the correct parameters', data: null, detail: `the body is larger than ${deps.bodyLimit} bytes` }, 413)
        : jsonError(c, 'body_too_large', `the body is larger than ${deps.bodyLimit} bytes`),
  });
  // the mail route takes mails as large as the CLI does and keeps a larger one as dropped: its own limit.
  // A declared Content-Length is checked from the header here: hono's bodyLimit reads `raw.body` first, which
  // makes the node adapter build a full WHATWG Request (headers copied, an AbortController) for every
  // request, a GET's too (a CPU profile of the one-row lookup showed it); only a chunked body is counted.
  app.use('*', (c, next) => {
    if (OWN_BODY_LIMIT_PATHS.has(c.req.path)) return next();
    const length = c.req.header('content-length');
    // over HTTP/1.1 a body comes with one of the two headers (in-process requests may carry one without)
    const overHttp1 = (c.env as { incoming?: { httpVersionMajor?: number } } | undefined)?.incoming?.httpVersionMajor === 1;
    if (overHttp1 && c.req.header('transfer-encoding') === undefined) {
      if (length === undefined) return next();
      if (/^\d+$/.test(length) && Number(length) <= deps.bodyLimit) return next();
    }
    return appBodyLimit(c, next);
  });

  app.use('*', refuseNul);

  // The old CLI probes HEAD / before every command: 200 without rendering (or guarding) the overview page.
  // Hono serves HEAD with the GET handlers, so the probe is answered here, ahead of the dashboard.
  app.get('/', (c, next) => (c.req.method === 'HEAD' ? c.body(null, 200) : next()));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  const upstreamPolicy = deps.upstreamPolicy ?? new UpstreamPolicy({ allowLocal: false });
  app.route('/', compatRoutes(deps.db, compatWrite, compatRead, upstreamPolicy, deps.resolveCommit, deps.trackingChanges));

  // every /api/v1 router is mounted on v1, so its OpenAPI document describes each of them; each group's writes need its scope
  const json = (scope: Scope) => ({ db: deps.db, requireWrite: needs(scope), requireRead: jsonRead });
  const v1 = v1Routes({ ...json('trackings'), requireAdmin: needs('admin'), scanNow: deps.scanNow, resolveCommit: deps.resolveCommit, upstreamPolicy, upstreamed: deps.upstreamed });
  v1.route('/', seriesCompareRoutes({ db: deps.db, requireRead: jsonRead, compare: deps.compare }));
  // one mail store for the intake and the project routes, so a project changed over the API applies at once
  const mailStore = deps.mail?.store ?? new MailStore(deps.db);
  v1.route('/', projectRoutes({ db: deps.db, requireRead: jsonRead, requireAdmin: needs('admin'), onChange: () => mailStore.invalidateProjects() }));
  v1.route('/', mailRoutes({ ...json('mail'), ...deps.mail, store: mailStore }));
  v1.route('/', ciRoutes({ ...json('checks'), settings: deps.ci ?? CI_DISABLED, logger: deps.logger }));
  v1.route('/', checksRoutes(json('checks')));
  v1.route('/', eventsRoutes(json('read')));
  v1.route('/', testerRoutes(json('tester')));
  const openapi = () => openApiDocument(v1, deps.version);
  app.get('/api/v1/openapi.json', (c) => c.json(openapi()));
  app.get('/api/v1/docs', (c) => c.html(renderDocsPage(openapi())));
  app.route('/api/v1', v1);

  app.route('/', patchworkRoutes({ ...json('patches'), requireCheckWrite: needs('checks') }));
  app.route('/', publicInboxRoutes(json('read')));
  if (deps.gitee) app.route('/', giteeWebhookRoutes({ db: deps.db, ...deps.gitee }));
  app.route('/', webRoutes({ db: deps.db, authenticator: deps.authenticator, logger: deps.logger, readAuth: deps.readAuth, scanNow: deps.scanNow, lifecycle: deps.lifecycle, upstreamed: deps.upstreamed }));

  app.notFound((c) => {
    if (COMPAT_PATHS.has(c.req.path)) return c.text('Method Not Allowed', 405);
    return jsonError(c, 'not_found', `no route for ${c.req.method} ${c.req.path}`);
  });

  app.onError((err, c) => {
    if (err instanceof AppError) {
      return COMPAT_PATHS.has(c.req.path) ? envelope(c, COMPAT_CODES.INPUT_PARAMETERS_ERROR, null, err.message) : appErrorResponse(c, err);
    }
    if (err instanceof HTTPException && err.status < 500) {
      if (COMPAT_PATHS.has(c.req.path)) return envelope(c, COMPAT_CODES.INPUT_PARAMETERS_ERROR, null, err.message);
      return jsonError(c, 'invalid_request', err.message || 'invalid request', undefined, err.status);
    }
    const requestId = randomUUID();
    deps.logger.error({ err, requestId, method: c.req.method, path: c.req.path }, 'request failed');
    return jsonError(c, 'internal_error', `internal error (request id ${requestId}); see the service log`);
  });

  return app;
}
