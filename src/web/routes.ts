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
import type { Access } from '../auth/authenticator.js';
import { SESSION_TTL_MS, SessionStore } from '../auth/sessions.js';
import { combinedStateOf, combinedStateOfTrackings, listChecks, rangeWithChecks } from '../checks/service.js';
import type { Database } from '../db/client.js';
import { sharedRead } from '../db/shared-read.js';
import { trackingCountsByStatus } from '../db/counts.js';
import { countIssues, getTracking, listIssues, listPublishedRanges, listTrackings, updateTracking } from '../db/trackings.js';
import { AppError, invalidInput } from '../errors.js';
import { EVENT_CATEGORIES, listEvents } from '../events/service.js';
import { clientAddress, originOf } from '../http/request.js';
import { statusOf } from '../http/status.js';
import type { Logger } from '../log.js';
import { seriesPatches } from '../mail/export/mbox.js';
import { projectStates } from '../mail/store/projects.js';
import { listComments } from '../patchwork/comments.js';
import { getCover } from '../patchwork/covers.js';
import { grants, type Scope } from '../auth/scopes.js';
import { isEmptyChange, updatePatches } from '../patchwork/bulk-update.js';
import { NOBODY, updatePatch } from '../patchwork/patch-update.js';
import { countPatches, getPatch, listPatches, stateSlug, type PatchFilter } from '../patchwork/patches.js';
import { findPersonId } from '../patchwork/people.js';
import { listProjects, projectByLinkName } from '../patchwork/projects.js';
import { Related } from '../patchwork/related.js';
import { getSeries, laterVersions } from '../patchwork/series.js';
import { NEEDS_HUMAN, TRACKING_STATUSES } from '../tracker/status.js';
import { VERSION_CONTROLS } from '../sources/types.js';
import { dailyMailActivity, weeklyTrackingActivity } from '../stats/activity.js';
import { busyError, engineUnavailable, scanOnDemand, type ScanNow } from '../tracker/scan.js';
import { upstreamedReportOf, type AnalyseTracking } from '../upstreamed/report.js';
import type { Lifecycle } from '../lifecycle/index.js';
import type { PageContext } from './layout.js';
import { formList, formText, idParam, intQuery, oneOf, patchChangeOf, positiveInt, text, yesNo } from './params.js';
import { csrfToken, endSession, sessionOf, startSession, verifiedForm } from './session.js';
import { HTMX_JS, HTMX_PATH } from './assets.js';
import { registerAdminPages } from './admin-routes.js';
import { STYLESHEET } from './style.js';
import { projectStatsPage } from './views/activity.js';
import { eventsAtom, eventsPage } from './views/events.js';
import { errorPage, loginPage } from './views/login.js';
import { bulkResultPage, patchListPage, patchPage, seriesPage } from './views/patches.js';
import { overviewPage, previewPage, trackingListPage, trackingPage, upstreamedPage } from './views/trackings.js';

export interface WebDeps {
  db: Database;
  authenticator: Authenticator;
  logger: Logger;
  readAuth: boolean;
  sessions?: SessionStore;
  /** the engine's on-demand scan (scan now, preview); without it those actions answer engine_unavailable */
  scanNow?: ScanNow;
  /** the maintainer commands (retry, propose a rejected range again) */
  lifecycle?: Pick<Lifecycle, 'retry' | 'recreate'>;
  /** the spec patches compared with the upstream release (src/upstreamed) */
  upstreamed?: AnalyseTracking;
}

/** What a scan did, said on the tracking's page after the redirect (by its action's name, never free text). */
const SCAN_NOTICES: Record<string, string> = {
  initialized: 'Scanned: the tracking starts at the upstream head; nothing was published.',
  up_to_date: 'Scanned: nothing new upstream.',
  advanced: 'Scanned: only merge commits were new; the tracking moved past them.',
  published: 'Scanned: the new commits were published (see the ranges below).',
  recreated: 'The rejected range was proposed again (see the ranges below).',
};

/** the page's context, and what the session's login may do (its scopes and user) */
export type WebEnv = { Variables: { page: PageContext; access: Access | undefined } };

const CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const PAGE_SIZE = 50;
const OVERVIEW_ROWS = 50;
/** per status that needs a human: the overview is a summary, the filtered list has them all */
const NEEDS_HUMAN_ROWS = 10;
/** the weeks the activity plots of the overview and of a tracking cover */
const ACTIVITY_WEEKS = 12;
/** the days a mailing list's activity page covers unless asked */
const ACTIVITY_DAYS = 30;

function here(c: Context): string {
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

/** Only a path on this site is a place to return to after login (never `//elsewhere` or a full URL). */
function safeNext(next: string | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.includes('\\') ? next : '/';
}

/** "N patches updated." after a change of many patches (a count, never text from the URL). */
function updatedNotice(c: Context): string | undefined {
  const n = c.req.query('updated');
  if (!n || !/^\d{1,6}$/.test(n)) return undefined;
  return `${n} patch${n === '1' ? '' : 'es'} updated.`;
}

const toLogin = (c: Context) => c.redirect(`/login?next=${encodeURIComponent(here(c))}`, 303);

export function webRoutes(deps: WebDeps): Hono<WebEnv> {
  const { db } = deps;
  const sessions = deps.sessions ?? new SessionStore(db, SESSION_TTL_MS, Date.now, () => deps.authenticator.adminStamp());
  const app = new Hono<WebEnv>({ strict: false });
  // Pages asked for at once share their reads (each still gets a read started after it asked): the
  // overview is the same for everyone, and a project's list is often opened by several maintainers.
  const overviewData = sharedRead(async () => {
    const openPull = { state: 'open', withPull: true };
    const [counts, needing, openPulls, openPullCount, events, projects, activity] = await Promise.all([
      trackingCountsByStatus(db),
      Promise.all([...NEEDS_HUMAN].map((status) => listTrackings(db, { status }, { limit: NEEDS_HUMAN_ROWS }))),
      listIssues(db, openPull, { limit: OVERVIEW_ROWS }),
      countIssues(db, openPull),
      listEvents(db, {}, { limit: 20, offset: 0, newestFirst: true, count: false }),
      listProjects(db, {}, { limit: 100, offset: 0, count: false }),
      weeklyTrackingActivity(db, { weeks: ACTIVITY_WEEKS }),
    ]);
    return { counts, needsHuman: needing.flat(), openPulls, openPullCount, events: events.rows, projects: projects.rows, activity };
  }, () => '');
  const patchListData = sharedRead(
    async ({ filter, before }: { filter: PatchFilter & { projectId: number }; before: number | undefined }) => {
      const newestFirst = { field: 'id', desc: true } as const;
      const [listing, total, states] = await Promise.all([
        listPatches(db, { ...filter, beforeId: before }, newestFirst, { limit: PAGE_SIZE + 1, offset: 0, count: false }),
        // the pager's pages narrow by id; the total is of the whole filtered list
        countPatches(db, filter),
        projectStates(db, filter.projectId),
      ]);
      const rows = listing.rows.slice(0, PAGE_SIZE);
      const related = await Related.load(db, { people: rows.flatMap((p) => [p.submitterId, p.delegateId]), series: rows.map((p) => p.seriesId), patchChecks: rows.map((p) => p.id) });
      return { rows, related, total, states, nextBefore: listing.rows.length > PAGE_SIZE ? rows.at(-1)!.id : undefined };
    },
    (key) => JSON.stringify(key),
  );

  app.use('*', async (c, next) => {
    const session = await sessionOf(c, sessions);
    c.set('page', { principal: session?.principal, admin: grants(session?.access?.scopes ?? [], 'admin'), csrf: csrfToken(c), here: here(c) });
    c.set('access', session?.access);
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'same-origin');
    if (c.res.headers.get('content-type')?.startsWith('text/html')) c.header('Cache-Control', 'no-store');
  });

  const read: MiddlewareHandler<WebEnv> = async (c, next) => (deps.readAuth && !c.get('page').principal ? toLogin(c) : next());
  const loggedIn: MiddlewareHandler<WebEnv> = async (c, next) => (c.get('page').principal ? next() : toLogin(c));
  /** A write: logged in (else to the login page), then the form's CSRF token (else 403). */
  const write: MiddlewareHandler<WebEnv> = async (c, next) => {
    if (!c.get('page').principal) return toLogin(c);
    await verifiedForm(c);
    return next();
  };

  /** A write's scope, as the API asks it: a token login holds only the scopes of its token. */
  const needs =
    (scope: Scope): MiddlewareHandler<WebEnv> =>
    async (c, next) => {
      const held = c.get('access')?.scopes ?? [];
      if (!grants(held, scope)) throw new AppError('insufficient_scope', `this needs the "${scope}" scope; this login has: ${held.join(', ') || 'none'}`);
      return next();
    };

  registerAdminPages(app, deps, { read: async (c, next) => (c.get('page').principal ? needs('admin')(c, next) : toLogin(c)), write, admin: needs('admin') });

  app.get('/static/dashboard.css', (c) => {
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(STYLESHEET, 200, { 'content-type': 'text/css; charset=utf-8' });
  });

  app.get(HTMX_PATH, (c) => {
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(HTMX_JS, 200, { 'content-type': 'text/javascript; charset=utf-8' });
  });

  app.get('/', read, async (c) => c.html(overviewPage(c.get('page'), await overviewData(undefined))));

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

  const trackingOf = async (id: number) => {
    const t = await getTracking(db, id);
    if (!t) throw new AppError('not_found', `no tracking ${id}`);
    return t;
  };

  const lifecycle = () => {
    if (!deps.lifecycle) throw engineUnavailable();
    return deps.lifecycle;
  };

  const trackingView = async (c: Context<WebEnv>, notice?: { text: string; error: boolean }) => {
    const id = idParam(c);
    const t = await trackingOf(id);
    const [published, issues, combined, activity] = await Promise.all([
      listPublishedRanges(db, id),
      listIssues(db, { trackingId: id }),
      combinedStateOfTrackings(db, [id]),
      weeklyTrackingActivity(db, { trackingId: id, weeks: ACTIVITY_WEEKS }),
    ]);
    const ranges = await Promise.all(
      published.map(async (r) => ({ range: r, checks: (await rangeWithChecks(db, r.id)).checks, issue: issues.find((i) => i.issue === r.issueId && i.repo === r.targetRepo) })),
    );
    return trackingPage(c.get('page'), { tracking: t, ranges, combinedCheck: combined.get(id) ?? null, activity, notice });
  };

  app.get('/trackings/:id', read, async (c) => {
    const done = c.req.query('done');
    return c.html(await trackingView(c, done && Object.hasOwn(SCAN_NOTICES, done) ? { text: SCAN_NOTICES[done]!, error: false } : undefined));
  });

  /** An action on a tracking: done → back to its page saying what happened; refused → its page with the reason. */
  const trackingAction = (act: (c: Context<WebEnv>, id: number) => Promise<string>) => async (c: Context<WebEnv>) => {
    const id = idParam(c);
    try {
      const done = await act(c, id);
      return c.redirect(`/trackings/${id}?done=${done}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.code !== 'not_found') return c.html(await trackingView(c, { text: err.message, error: true }), statusOf(err));
      if (err instanceof AppError) throw err;
      // the engine recorded the failure (redacted) as the tracking's last error, which the page shows in full
      deps.logger.warn({ tracking: id, path: c.req.path }, 'dashboard action failed');
      return c.html(await trackingView(c, { text: 'It failed: the last error below says why.', error: true }), 500);
    }
  };

  /**
   * A maintainer's action on a tracking (scan now, retry, propose a rejected range again): a write of the
   * `trackings` scope at `/trackings/:id/<name>`, logged with its actor, answered by trackingAction.
   */
  const trackingActionRoute = (name: string, logMessage: string, act: (c: Context<WebEnv>, id: number) => Promise<{ done: string; log: Record<string, unknown> }>) =>
    app.post(
      `/trackings/:id/${name}`,
      write,
      needs('trackings'),
      trackingAction(async (c, id) => {
        const { done, log } = await act(c, id);
        deps.logger.info({ tracking: id, ...log, actor: c.get('page').principal }, logMessage);
        return done;
      }),
    );

  trackingActionRoute('scan', 'tracking scanned from the dashboard', async (_c, id) => {
    const result = await scanOnDemand(db, deps.scanNow, id, { dryRun: false });
    return { done: result.action, log: { action: result.action } };
  });

  trackingActionRoute('retry', 'tracking retried from the dashboard', async (_c, id) => {
    const result = await lifecycle().retry(await trackingOf(id));
    if (result.action === 'paused') throw new AppError('tracking_paused', `tracking ${id} is paused: enable it first`);
    if (result.action === 'busy') throw busyError();
    return { done: result.action, log: { action: result.action } };
  });

  trackingActionRoute('recreate', 'rejected range proposed again from the dashboard', async (c, id) => {
    const t = await trackingOf(id);
    const issueId = positiveInt(formText(await c.req.parseBody(), 'issue'), 'issue');
    const row = issueId === undefined ? undefined : (await listIssues(db, { trackingId: id })).find((i) => i.id === issueId);
    if (!row) throw invalidInput('issue', `no issue ${issueId ?? '(none given)'} of tracking ${id}`);
    const p = await lifecycle().recreate(t, row);
    return { done: 'recreated', log: { pr: p.prNumber } };
  });

  /** The dry run, made for eyes: a writer's page (it asks the upstream and renders the patches; it writes nothing). */
  app.get('/trackings/:id/preview', loggedIn, async (c) => {
    const id = idParam(c);
    const t = await trackingOf(id);
    try {
      return c.html(previewPage(c.get('page'), t, await scanOnDemand(db, deps.scanNow, id, { dryRun: true })));
    } catch (err) {
      if (err instanceof AppError && err.code !== 'not_found') return c.html(await trackingView(c, { text: `No preview: ${err.message}`, error: true }), statusOf(err));
      throw err;
    }
  });

  /** Which spec patches the upstream release has: a page of its own, and the tracking page's section (htmx). */
  app.get('/trackings/:id/upstreamed', read, async (c) => {
    const id = idParam(c);
    const t = await trackingOf(id);
    try {
      return c.html(upstreamedPage(c.get('page'), t, await upstreamedReportOf(db, deps.upstreamed, id)));
    } catch (err) {
      // htmx swaps in only successful answers: the section it loads says why in-band
      const status = c.req.header('HX-Request') === 'true' ? 200 : undefined;
      if (err instanceof AppError && err.code !== 'not_found') return c.html(upstreamedPage(c.get('page'), t, { error: err.message }), status ?? statusOf(err));
      throw err;
    }
  });

  app.post('/trackings/:id/enabled', write, needs('trackings'), async (c) => {
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
    // Patchwork's list hides archived patches unless asked
    const archived = filters.archived === undefined ? false : yesNo(filters.archived, 'archived');
    const filter = { projectId: project.id, states: filters.state ? [stateSlug(filters.state)] : undefined, submitterId, archived, q: filters.q, seriesId: positiveInt(filters.series, 'series') };
    const list = await patchListData({ filter, before: intQuery(c, 'before') });
    return c.html(patchListPage(c.get('page'), { project, filters, ...list, notice: updatedNotice(c) }));
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

  app.post('/patch/:id/update', write, needs('patches'), async (c) => {
    const id = idParam(c);
    const change = patchChangeOf(await c.req.parseBody({ all: true }));
    try {
      if (isEmptyChange(change)) throw invalidInput('state', 'choose a state, a delegate or an archived setting to change');
      // the patch rules of the login (maintainer, delegate, submitter); a session without one is refused as nobody
      await updatePatch(db, id, change, c.get('page').principal ?? null, c.get('access') ?? NOBODY);
    } catch (err) {
      // a refused change is shown on the patch's own page, next to the form
      if (err instanceof AppError && err.code !== 'not_found') return c.html(await patchView(c, err.message), statusOf(err));
      throw err;
    }
    return c.redirect(`/patch/${id}/`, 303);
  });

  /**
   * One change to many patches, patch by patch (patchwork/bulk-update.ts): all applied → back where the
   * form was, saying how many; some refused → a page naming each refused patch and why.
   */
  const applyToPatches = async (c: Context<WebEnv>, patchIds: number[], back: string) => {
    const outcome = await updatePatches(db, patchIds, patchChangeOf(await c.req.parseBody({ all: true })), c.get('page').principal ?? null, c.get('access') ?? NOBODY);
    deps.logger.info({ updated: outcome.updated.length, failed: outcome.failed.length, actor: c.get('page').principal }, 'patches changed from the dashboard');
    if (!outcome.failed.length) {
      const url = new URL(back, 'http://here');
      url.searchParams.set('updated', String(outcome.updated.length));
      return c.redirect(url.pathname + url.search, 303);
    }
    const names = new Map((await Promise.all(outcome.failed.map((f) => getPatch(db, f.patchId)))).filter((p) => p !== undefined).map((p) => [p.id, p.name]));
    const status = outcome.updated.length ? 200 : statusOf(outcome.failed[0]!.code);
    return c.html(
      bulkResultPage(c.get('page'), { title: 'Some patches were not changed', updated: outcome.updated.length, failed: outcome.failed.map((f) => ({ ...f, name: names.get(f.patchId) })), back }),
      status,
    );
  };

  app.post('/patches/bulk', write, needs('patches'), async (c) => {
    const form = await c.req.parseBody({ all: true });
    const ids = formList(form, 'patch').map((v) => positiveInt(v, 'patch')!);
    return applyToPatches(c, ids, safeNext(formText(form, 'back')));
  });

  app.post('/series/:id/update', write, needs('patches'), async (c) => {
    const id = idParam(c);
    if (!(await getSeries(db, id))) throw new AppError('not_found', `no series ${id}`);
    return applyToPatches(c, (await seriesPatches(db, id)).map((p) => p.id), `/series/${id}/`);
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
        states: await projectStates(db, series.projectId),
        notice: updatedNotice(c),
      }),
    );
  });

  app.get('/project/:linkname/stats', read, async (c) => {
    const linkName = c.req.param('linkname');
    const project = await projectByLinkName(db, linkName);
    if (!project) throw new AppError('not_found', `no project ${linkName}`);
    const days = intQuery(c, 'days') ?? ACTIVITY_DAYS;
    const [rows, states] = await Promise.all([dailyMailActivity(db, { projectId: project.id, days }), projectStates(db, project.id)]);
    return c.html(projectStatsPage(c.get('page'), { project, rows, states, days }));
  });

  /** The events feed (newest first, paged by id) with its filters; the Atom feed shares them. */
  const eventsView = async (c: Context<WebEnv>) => {
    const filters = { project: text(c, 'project'), tracking: text(c, 'tracking'), kind: text(c, 'kind') };
    let projectId: number | undefined;
    if (filters.project) {
      const project = await projectByLinkName(db, filters.project);
      if (!project) throw invalidInput('project', `no mailing list "${filters.project}"`);
      projectId = project.id;
    }
    const kind = oneOf(filters.kind, EVENT_CATEGORIES, 'kind');
    const [listing, projects] = await Promise.all([
      listEvents(
        db,
        { projectId, trackingId: positiveInt(filters.tracking, 'tracking'), categories: kind ? [kind] : undefined, beforeId: intQuery(c, 'before') },
        { limit: PAGE_SIZE + 1, offset: 0, newestFirst: true, count: false },
      ),
      listProjects(db, {}, { limit: 100, offset: 0 }),
    ]);
    const rows = listing.rows.slice(0, PAGE_SIZE);
    return { rows, filters, kinds: EVENT_CATEGORIES, projects: projects.rows, nextBefore: listing.rows.length > PAGE_SIZE ? rows.at(-1)!.id : undefined };
  };

  app.get('/events', read, async (c) => c.html(eventsPage(c.get('page'), await eventsView(c))));

  app.get('/events.atom', read, async (c) => {
    const body = await eventsAtom(await eventsView(c), originOf(c), here(c));
    return c.body(String(body), 200, { 'content-type': 'application/atom+xml; charset=utf-8' });
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
      const { ok: _ok, ...access } = result;
      await startSession(c, sessions, result.principal, access);
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
    await endSession(c, sessions);
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
