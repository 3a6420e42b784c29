/**
 * The maintainers' dashboard: server-rendered pages over the same domain functions the REST API calls.
 * Every read page works without JavaScript. Without READ_AUTH the read pages are public; writes (enable or
 * disable a tracking, change a patch's state) need a login session and the form's CSRF token. Errors are
 * answered as a page, with the status the API's one table gives the error's code.
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Authenticator } from '../auth/authenticator.js';
import { combinedStateOf, combinedStateOfTrackings, listChecks, rangeWithChecks } from '../checks/service.js';
import type { Database } from '../db/client.js';
import { countTrackingsByStatus, getTracking, listIssues, listPublishedRanges, listTrackings, updateTracking } from '../db/trackings.js';
import { AppError, invalidInput } from '../errors.js';
import { listEvents } from '../events/service.js';
import { clientAddress, originOf } from '../http/request.js';
import { statusOf } from '../http/status.js';
import type { Logger } from '../log.js';
import { seriesPatches } from '../mail/export/mbox.js';
import { projectStates } from '../mail/store/projects.js';
import { listComments } from '../patchwork/comments.js';
import { getCover } from '../patchwork/covers.js';
import { updatePatch } from '../patchwork/patch-update.js';
import { getPatch, listPatches, stateSlug } from '../patchwork/patches.js';
import { findPersonId } from '../patchwork/people.js';
import { listProjects, projectByLinkName } from '../patchwork/projects.js';
import { Related } from '../patchwork/related.js';
import { getSeries, laterVersions } from '../patchwork/series.js';
import { NEEDS_HUMAN, TRACKING_STATUSES } from '../tracker/status.js';
import { VERSION_CONTROLS } from '../sources/types.js';
import type { PageContext } from './layout.js';
import { formText, idParam, intQuery, oneOf, positiveInt, text, yesNo } from './params.js';
import { csrfToken, endSession, sessionPrincipal, SessionStore, startSession, verifiedForm } from './session.js';
import { STYLESHEET } from './style.js';
import { errorPage, loginPage } from './views/login.js';
import { patchListPage, patchPage, seriesPage } from './views/patches.js';
import { overviewPage, trackingListPage, trackingPage } from './views/trackings.js';

export interface WebDeps {
  db: Database;
  authenticator: Authenticator;
  logger: Logger;
  readAuth: boolean;
  sessions?: SessionStore;
}

type WebEnv = { Variables: { page: PageContext } };

const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const PAGE_SIZE = 50;
const OVERVIEW_ROWS = 50;

function here(c: Context): string {
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

/** Only a path on this site is a place to return to after login (never `//elsewhere` or a full URL). */
function safeNext(next: string | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.includes('\\') ? next : '/';
}

const toLogin = (c: Context) => c.redirect(`/login?next=${encodeURIComponent(here(c))}`, 303);

export function webRoutes(deps: WebDeps): Hono<WebEnv> {
  const { db } = deps;
  const sessions = deps.sessions ?? new SessionStore();
  const app = new Hono<WebEnv>({ strict: false });

  app.use('*', async (c, next) => {
    c.set('page', { principal: sessionPrincipal(c, sessions), csrf: csrfToken(c), here: here(c) });
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'same-origin');
    if (c.res.headers.get('content-type')?.startsWith('text/html')) c.header('Cache-Control', 'no-store');
  });

  const read: MiddlewareHandler<WebEnv> = async (c, next) => (deps.readAuth && !c.get('page').principal ? toLogin(c) : next());
  /** A write: logged in (else to the login page), then the form's CSRF token (else 403). */
  const write: MiddlewareHandler<WebEnv> = async (c, next) => {
    if (!c.get('page').principal) return toLogin(c);
    await verifiedForm(c);
    return next();
  };

  app.get('/static/dashboard.css', (c) => {
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(STYLESHEET, 200, { 'content-type': 'text/css; charset=utf-8' });
  });

  app.get('/', read, async (c) => {
    const [counts, needing, pulls, events, projects] = await Promise.all([
      countTrackingsByStatus(db),
      Promise.all([...NEEDS_HUMAN].map((status) => listTrackings(db, { status }, { limit: OVERVIEW_ROWS }))),
      listIssues(db, { state: 'open' }, { limit: OVERVIEW_ROWS }),
      listEvents(db, {}, { limit: 20, offset: 0, newestFirst: true }),
      listProjects(db, {}, { limit: 100, offset: 0 }),
    ]);
    const needsHuman = needing.flat();
    return c.html(overviewPage(c.get('page'), { counts, needsHuman, openPulls: pulls.filter((i) => i.prUrl || i.prNumber), events: events.rows, projects: projects.rows }));
  });

  app.get('/trackings', read, async (c) => {
    const filters = { repo: text(c, 'repo'), branch: text(c, 'branch'), kind: text(c, 'kind'), status: text(c, 'status'), enabled: text(c, 'enabled'), q: text(c, 'q') };
    const rows = await listTrackings(
      db,
      {
        repo: filters.repo,
        branch: filters.branch,
        versionControl: oneOf(filters.kind, VERSION_CONTROLS, 'kind'),
        status: oneOf(filters.status, TRACKING_STATUSES, 'status'),
        enabled: yesNo(filters.enabled, 'enabled'),
        q: filters.q,
      },
      { limit: PAGE_SIZE + 1, afterId: intQuery(c, 'after') },
    );
    const page = rows.slice(0, PAGE_SIZE);
    const openPulls = new Map((await listIssues(db, { state: 'open', trackingIds: page.map((t) => t.id) })).filter((i) => i.trackingId !== null).map((i) => [i.trackingId!, i]));
    return c.html(
      trackingListPage(c.get('page'), { rows: page, openPulls, filters, kinds: [...VERSION_CONTROLS], nextAfter: rows.length > PAGE_SIZE ? page.at(-1)!.id : undefined }),
    );
  });

  app.get('/trackings/:id', read, async (c) => {
    const id = idParam(c);
    const t = await getTracking(db, id);
    if (!t) throw new AppError('not_found', `no tracking ${id}`);
    const [published, issues, combined] = await Promise.all([listPublishedRanges(db, id), listIssues(db, { trackingId: id }), combinedStateOfTrackings(db, [id])]);
    const ranges = await Promise.all(
      published.map(async (r) => ({ range: r, checks: (await rangeWithChecks(db, r.id)).checks, issue: issues.find((i) => i.issue === r.issueId && i.repo === r.targetRepo) })),
    );
    return c.html(trackingPage(c.get('page'), { tracking: t, ranges, combinedCheck: combined.get(id) ?? null }));
  });

  app.post('/trackings/:id/enabled', write, async (c) => {
    const id = idParam(c);
    const enabled = yesNo(formText(await c.req.parseBody(), 'enabled'), 'enabled');
    if (enabled === undefined) throw invalidInput('enabled', 'yes or no is required');
    if (!(await updateTracking(db, id, { enabled }))) throw new AppError('not_found', `no tracking ${id}`);
    deps.logger.info({ tracking: id, enabled, actor: c.get('page').principal }, 'tracking changed from the dashboard');
    return c.redirect(`/trackings/${id}`, 303);
  });

  app.get('/project/:linkname/list', read, async (c) => {
    const linkName = c.req.param('linkname');
    const project = await projectByLinkName(db, linkName);
    if (!project) throw new AppError('not_found', `no project ${linkName}`);
    const filters = { state: text(c, 'state'), submitter: text(c, 'submitter'), archived: text(c, 'archived'), q: text(c, 'q'), series: text(c, 'series') };
    let submitterId: number | undefined;
    if (filters.submitter) {
      submitterId = await findPersonId(db, filters.submitter);
      if (submitterId === undefined) throw invalidInput('submitter', `no person "${filters.submitter}"`);
    }
    const states = await projectStates(db, project.id);
    // Patchwork's list hides archived patches unless asked
    const archived = filters.archived === undefined ? false : yesNo(filters.archived, 'archived');
    const filter = { projectId: project.id, states: filters.state ? [stateSlug(filters.state)] : undefined, submitterId, archived, q: filters.q, seriesId: positiveInt(filters.series, 'series') };
    const newestFirst = { field: 'id', desc: true } as const;
    const listing = await listPatches(db, { ...filter, beforeId: intQuery(c, 'before') }, newestFirst, { limit: PAGE_SIZE + 1, offset: 0 });
    const rows = listing.rows.slice(0, PAGE_SIZE);
    const related = await Related.load(db, { people: rows.flatMap((p) => [p.submitterId, p.delegateId]), series: rows.map((p) => p.seriesId), patchChecks: rows.map((p) => p.id) });
    // the pager's pages narrow by id; the total is of the whole filtered list
    const total = (await listPatches(db, filter, newestFirst, { limit: 0, offset: 0 })).count;
    return c.html(patchListPage(c.get('page'), { project, rows, related, states, filters, total, nextBefore: listing.rows.length > PAGE_SIZE ? rows.at(-1)!.id : undefined }));
  });

  const patchView = async (c: Context<WebEnv>, notice?: string) => {
    const id = idParam(c);
    const patch = await getPatch(db, id);
    if (!patch) throw new AppError('not_found', `no patch ${id}`);
    const [related, comments, checks, combined, states] = await Promise.all([
      Related.load(db, { projects: [patch.projectId], people: [patch.submitterId, patch.delegateId], series: [patch.seriesId] }),
      listComments(db, 'patch', id, { limit: 1000, offset: 0 }),
      listChecks(db, { on: 'patch', ids: [id] }, {}, { limit: 1000, offset: 0 }),
      combinedStateOf(db, { on: 'patch', ids: [id] }),
      projectStates(db, patch.projectId),
    ]);
    const authors = await Related.load(db, { people: comments.rows.map((r) => r.comment.submitterId) });
    return patchPage(c.get('page'), {
      patch,
      project: related.project(patch.projectId),
      series: patch.seriesId !== null ? related.series.get(patch.seriesId) : undefined,
      submitter: related.people.get(patch.submitterId),
      delegate: patch.delegateId !== null ? related.people.get(patch.delegateId) : undefined,
      comments: comments.rows.map((r) => ({ comment: r.comment, author: authors.people.get(r.comment.submitterId) })),
      checks: checks.rows,
      combinedCheck: combined.state,
      states,
      origin: originOf(c),
      notice,
    });
  };

  app.get('/patch/:id', read, async (c) => c.html(await patchView(c)));

  app.post('/patch/:id/state', write, async (c) => {
    const id = idParam(c);
    const state = formText(await c.req.parseBody(), 'state');
    if (!state) throw invalidInput('state', 'a state is required');
    try {
      await updatePatch(db, id, { state }, c.get('page').principal ?? null);
    } catch (err) {
      // a refused state is shown on the patch's own page, next to the form
      if (err instanceof AppError && err.code === 'invalid_request') return c.html(await patchView(c, err.message), statusOf(err));
      throw err;
    }
    return c.redirect(`/patch/${id}/`, 303);
  });

  app.get('/series/:id', read, async (c) => {
    const id = idParam(c);
    const series = await getSeries(db, id);
    if (!series) throw new AppError('not_found', `no series ${id}`);
    const [patches, related, later, combined] = await Promise.all([
      seriesPatches(db, id),
      Related.load(db, { projects: [series.projectId], people: [series.submitterId], series: [series.previousVersionId] }),
      laterVersions(db, id),
      combinedStateOf(db, { series: id }),
    ]);
    return c.html(
      seriesPage(c.get('page'), {
        series,
        project: related.project(series.projectId),
        patches,
        cover: series.coverId !== null ? await getCover(db, series.coverId) : undefined,
        submitter: related.people.get(series.submitterId),
        previous: series.previousVersionId !== null ? related.series.get(series.previousVersionId) : undefined,
        later,
        combinedCheck: combined.state,
        origin: originOf(c),
      }),
    );
  });

  app.get('/login', (c) => c.html(loginPage(c.get('page'), safeNext(c.req.query('next')))));

  app.post('/login', async (c) => {
    const form = await verifiedForm(c);
    const next = safeNext(formText(form, 'next'));
    const user = formText(form, 'user') ?? '';
    const password = formText(form, 'password') ?? '';
    const token = formText(form, 'token')?.trim() ?? '';
    // the same check the API makes, by handing the Authenticator the header an API client would send
    const authorization = token ? `Bearer ${token}` : user ? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` : undefined;
    const result = await deps.authenticator.authenticate(authorization, clientAddress(c));
    if (result.ok) {
      startSession(c, sessions, result.principal);
      return c.redirect(next, 303);
    }
    if (result.reason === 'throttled') {
      deps.logger.warn({ client: clientAddress(c) }, 'dashboard login throttled');
      c.header('Retry-After', String(result.retryAfterSeconds));
      return c.html(loginPage(c.get('page'), next, `Too many failed logins: try again in ${result.retryAfterSeconds} s.`), 429);
    }
    if (result.reason === 'invalid') deps.logger.warn({ client: clientAddress(c), user: token ? '(token)' : user }, 'dashboard login failed');
    return c.html(loginPage(c.get('page'), next, result.reason === 'missing' ? 'Enter a user and password, or an API token.' : 'Invalid credentials.'), 401);
  });

  app.post('/logout', async (c) => {
    await verifiedForm(c);
    endSession(c, sessions);
    return c.redirect('/', 303);
  });

  app.onError((err, c) => {
    const page = c.get('page') ?? { csrf: '', here: '/' };
    if (err instanceof AppError) return c.html(errorPage(page, 'Cannot show this', err.message), statusOf(err));
    if (err instanceof HTTPException && err.status < 500) return c.html(errorPage(page, 'Bad request', err.message || 'invalid request'), err.status as ContentfulStatusCode);
    const requestId = randomUUID();
    deps.logger.error({ err, requestId, method: c.req.method, path: c.req.path }, 'page failed');
    return c.html(errorPage(page, 'Something went wrong', `Internal error (request id ${requestId}); see the service log.`), 500);
  });

  return app;
}
