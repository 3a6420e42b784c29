/**
 * The Patchwork REST API (1.3) over the mail store, for git-pw, pwclient and CI bots: projects, people,
 * users (delegates), patches, covers, series, comments, checks and events under /api/1.x/ (and /api/),
 * with Patchwork's filters, page/per_page pagination and Link headers; plus the web paths that serve
 * mbox and raw downloads. Reads follow READ_AUTH; changing a patch or adding a check needs write access.
 */
import { and, asc, desc, eq, getTableColumns, ilike, inArray, or, sql, type SQL } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { z } from '@hono/zod-openapi';
import type { Database } from '../../db/client.js';
import {
  mailComment,
  mailCover,
  mailEvent,
  mailMessage,
  mailPatch,
  mailPerson,
  mailProject,
  mailSeries,
  mailState,
  type MailPatchRow,
} from '../../db/schema/mail.js';
import { mailCheck } from '../../db/schema/mail.js';
import { AppError } from '../../errors.js';
import type { Guard } from '../auth-guard.js';
import type { ApiEnv } from '../context.js';
import { parseOrThrow } from '../schemas.js';
import { checkInputSchema, createPatchCheck, listChecks } from '../../checks/service.js';
import { listEvents } from '../../events/service.js';
import { eventsJson } from './events-json.js';
import { bad, boolParam, dateParam, eventFilterParams, intParam, likeParam, msgidParam, orderParam, personParam, projectParam } from './filters.js';
import { coverMbox, downloadName, patchesMbox, seriesPatches } from '../../mail/export/mbox.js';
import { parsePage, setPageLinks } from './paging.js';
import {
  checkJson,
  commentJson,
  coverJson,
  patchJson,
  personJson,
  projectJson,
  Related,
  seriesJson,
  userJson,
} from './serialize.js';
import { originOf, Urls } from './urls.js';

export interface PatchworkDeps {
  db: Database;
  requireWrite: Guard;
  requireRead: Guard;
}

export const API_VERSIONS = ['1.0', '1.1', '1.2', '1.3'] as const;

type C = Context<ApiEnv>;
type Handler = (c: C) => Promise<Response>;

function urlsFor(c: C): Urls {
  const m = /^\/api(\/1\.\d)?/.exec(c.req.path);
  return new Urls(originOf(c), m ? m[0] : '/api/1.3');
}

function notFound(what: string): AppError {
  return new AppError('not_found', `${what} not found`, { status: 404 });
}

function idOf(c: C, name = 'id'): number {
  const v = c.req.param(name) ?? '';
  if (!/^\d{1,9}$/.test(v)) throw notFound(`${name} ${v}`);
  return Number(v);
}

/** Form-encoded (git-pw, curl -F) or JSON (pwclient) body as a plain object. */
async function bodyOf(c: C): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  if (type.includes('application/json')) {
    const parsed: unknown = await c.req.json().catch(() => {
      throw new AppError('invalid_request', 'the body is not valid JSON', { field: 'body' });
    });
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AppError('invalid_request', 'expected a JSON object', { field: 'body' });
    return parsed as Record<string, unknown>;
  }
  if (type.includes('application/x-www-form-urlencoded') || type.includes('multipart/form-data')) {
    const form = await c.req.parseBody();
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(form)) if (typeof v === 'string') out[k] = v;
    return out;
  }
  const text = await c.req.text();
  if (text.trim() === '') return {};
  throw new AppError('invalid_request', 'send the fields as JSON or form data', { status: 415, field: 'content-type' });
}


const formBool = z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False', '1', '0']).transform((v) => v === 'true' || v === 'True' || v === '1')]);
const patchUpdateSchema = z
  .object({
    state: z.string().min(1).max(100).optional(),
    delegate: z.union([z.number().int().positive(), z.string().max(320), z.null()]).optional(),
    archived: formBool.optional(),
    commit_ref: z.string().max(255).nullable().optional(),
    pull_url: z
      .string()
      .max(2000)
      .refine((v) => v === '' || /^(https?|git|ssh):\/\/\S+$/.test(v), 'expected a URL')
      .nullable()
      .optional(),
  })
  .strict();

export function patchworkRoutes(deps: PatchworkDeps): Hono<ApiEnv> {
  const { db } = deps;
  const app = new Hono<ApiEnv>();
  const read = (h: Handler): Handler => async (c) => (tokenAsBearer(c), (await deps.requireRead(c)) ?? h(c));
  const write = (h: Handler): Handler => async (c) => (tokenAsBearer(c), (await deps.requireWrite(c)) ?? h(c));
  // Patchwork's URLs end in '/', clients sometimes drop it: serve both
  const get = (path: string, h: Handler) => {
    app.get(path, read(h));
    if (path.endsWith('/')) app.get(path.slice(0, -1), read(h));
  };

  // ---- API under each version prefix ----
  const api = new Hono<ApiEnv>();
  const aget = (path: string, h: Handler) => {
    api.get(path, read(h));
    if (path.endsWith('/') && path !== '/') api.get(path.slice(0, -1), read(h));
  };
  const aon = (methods: string[], path: string, h: Handler) => {
    api.on(methods, path, write(h));
    if (path.endsWith('/')) api.on(methods, path.slice(0, -1), write(h));
  };

  const root: Handler = async (c) => {
    const u = urlsFor(c);
    return c.json({
      bundles: u.api('bundles/'),
      covers: u.api('covers/'),
      events: u.api('events/'),
      patches: u.api('patches/'),
      people: u.api('people/'),
      projects: u.api('projects/'),
      series: u.api('series/'),
      users: u.api('users/'),
    });
  };
  aget('/', root);

  // Bundles are a Patchwork web feature we don't keep: an empty, well-formed list.
  aget('/bundles/', async (c) => {
    setPageLinks(c, parsePage(c), 0, originOf(c));
    return c.json([]);
  });

  // ---- projects ----
  aget('/projects/', async (c) => {
    const u = urlsFor(c);
    const p = parsePage(c);
    const q = likeParam(c);
    const cond = q ? or(ilike(mailProject.name, q), ilike(mailProject.linkName, q)) : undefined;
    const [{ count }] = (await db.select({ count: sql<number>`count(*)::int` }).from(mailProject).where(cond)) as [{ count: number }];
    setPageLinks(c, p, count, u.origin);
    const rows = await db.select().from(mailProject).where(cond).orderBy(asc(mailProject.id)).limit(p.limit).offset(p.offset);
    return c.json(rows.map((r) => projectJson(u, r)));
  });
  aget('/projects/:id/', async (c) => {
    const v = c.req.param('id') ?? '';
    const [row] = await db
      .select()
      .from(mailProject)
      .where(/^\d{1,9}$/.test(v) ? eq(mailProject.id, Number(v)) : eq(mailProject.linkName, v));
    if (!row) throw notFound(`project ${v}`);
    return c.json(projectJson(urlsFor(c), row));
  });

  // ---- people and users ----
  const peopleList = (asUsers: boolean): Handler => async (c) => {
    const u = urlsFor(c);
    const p = parsePage(c);
    const q = likeParam(c);
    const cond = q ? or(ilike(mailPerson.name, q), ilike(mailPerson.email, q)) : undefined;
    const [{ count }] = (await db.select({ count: sql<number>`count(*)::int` }).from(mailPerson).where(cond)) as [{ count: number }];
    setPageLinks(c, p, count, u.origin);
    const rows = await db.select().from(mailPerson).where(cond).orderBy(asc(mailPerson.id)).limit(p.limit).offset(p.offset);
    return c.json(rows.map((r) => (asUsers ? userJson(u, r) : personJson(u, r))));
  };
  const personDetail = (asUsers: boolean): Handler => async (c) => {
    const id = idOf(c);
    const [row] = await db.select().from(mailPerson).where(eq(mailPerson.id, id));
    if (!row) throw notFound(`person ${id}`);
    return c.json(asUsers ? userJson(urlsFor(c), row) : personJson(urlsFor(c), row));
  };
  aget('/people/', peopleList(false));
  aget('/people/:id/', personDetail(false));
  aget('/users/', peopleList(true));
  aget('/users/:id/', personDetail(true));

  // ---- patches ----
  const PATCH_ORDER = ['id', 'name', 'date', 'state', 'archived', 'submitter', 'delegate', 'project'] as const;
  const patchOrderColumn = { id: mailPatch.id, name: mailPatch.name, date: mailPatch.date, state: mailPatch.state, archived: mailPatch.archived, submitter: mailPatch.submitterId, delegate: mailPatch.delegateId, project: mailPatch.projectId };

  async function patchFilter(c: C): Promise<SQL[]> {
    const where: SQL[] = [];
    const project = await projectParam(db, c);
    if (project !== undefined) where.push(eq(mailPatch.projectId, project));
    const states = c.req.queries('state')?.filter((s) => s !== '') ?? [];
    if (states.length) {
      // a slug or a name, as Patchwork takes them; one no project has is a 400
      const slugs = states.map((s) => s.trim().toLowerCase().replace(/\s+/g, '-'));
      const known = new Set((await db.selectDistinct({ slug: mailState.slug }).from(mailState).where(inArray(mailState.slug, slugs))).map((r) => r.slug));
      const unknown = states.find((_, i) => !known.has(slugs[i]!));
      if (unknown !== undefined) throw bad('state', `no state "${unknown}"`);
      where.push(inArray(mailPatch.state, slugs));
    }
    const archived = boolParam(c, 'archived');
    if (archived !== undefined) where.push(eq(mailPatch.archived, archived));
    for (const field of ['submitter', 'delegate'] as const) {
      const person = await personParam(db, c, field);
      if (person !== undefined) where.push(eq(field === 'submitter' ? mailPatch.submitterId : mailPatch.delegateId, person));
    }
    const series = intParam(c, 'series');
    if (series !== undefined) where.push(eq(mailPatch.seriesId, series));
    const since = dateParam(c, 'since');
    if (since) where.push(sql`${mailPatch.date} >= ${since.toISOString()}::timestamptz`);
    const before = dateParam(c, 'before');
    if (before) where.push(sql`${mailPatch.date} < ${before.toISOString()}::timestamptz`);
    const msgid = msgidParam(c);
    if (msgid) where.push(eq(mailPatch.msgid, msgid));
    const hash = c.req.query('hash');
    if (hash) {
      if (!/^[0-9a-f]{40}$/i.test(hash)) throw bad('hash', 'expected a 40-character hexadecimal patch hash');
      where.push(eq(mailPatch.hash, hash.toLowerCase()));
    }
    const q = likeParam(c);
    if (q) where.push(ilike(mailPatch.name, q));
    return where;
  }

  aget('/patches/', async (c) => {
    const u = urlsFor(c);
    const p = parsePage(c);
    const order = orderParam(c, PATCH_ORDER, 'id');
    const where = await patchFilter(c);
    const cond = where.length ? and(...where) : undefined;
    const [{ count }] = (await db.select({ count: sql<number>`count(*)::int` }).from(mailPatch).where(cond)) as [{ count: number }];
    setPageLinks(c, p, count, u.origin);
    const col = patchOrderColumn[order.field];
    // list pages leave out the large columns (diff, content) Patchwork's list view doesn't show
    const rows = (await db
      .select({ ...listColumns })
      .from(mailPatch)
      .where(cond)
      .orderBy(order.desc ? desc(col) : asc(col), order.desc ? desc(mailPatch.id) : asc(mailPatch.id))
      .limit(p.limit)
      .offset(p.offset)) as MailPatchRow[];
    const r = await Related.load(db, {
      projects: rows.map((x) => x.projectId),
      people: rows.flatMap((x) => [x.submitterId, x.delegateId]),
      series: rows.map((x) => x.seriesId),
      patchChecks: rows.map((x) => x.id),
    });
    return c.json(rows.map((x) => patchJson(u, x, r)));
  });

  async function patchDetail(c: C, id: number) {
    const [row] = await db.select().from(mailPatch).where(eq(mailPatch.id, id));
    if (!row) throw notFound(`patch ${id}`);
    const [raw] = await db.select({ raw: mailMessage.raw }).from(mailMessage).where(eq(mailMessage.id, row.messageId));
    const r = await Related.load(db, { projects: [row.projectId], people: [row.submitterId, row.delegateId], series: [row.seriesId], patchChecks: [row.id] });
    return patchJson(urlsFor(c), row, r, { raw: raw?.raw ?? null });
  }

  aget('/patches/:id/', async (c) => c.json(await patchDetail(c, idOf(c))));

  aon(['PATCH', 'PUT'], '/patches/:id/', async (c) => {
    const id = idOf(c);
    const input = parseOrThrow(patchUpdateSchema, await bodyOf(c));
    const actor = c.get('principal') ?? null;
    await db.transaction(async (tx) => {
      const [row] = await tx.select().from(mailPatch).where(eq(mailPatch.id, id)).for('update');
      if (!row) throw notFound(`patch ${id}`);
      const set: Partial<MailPatchRow> = {};
      const events: Array<typeof mailEvent.$inferInsert> = [];
      if (input.state !== undefined) {
        const wanted = input.state.trim().toLowerCase().replace(/\s+/g, '-');
        const [state] = await tx
          .select()
          .from(mailState)
          .where(and(eq(mailState.projectId, row.projectId), or(eq(mailState.slug, wanted), ilike(mailState.name, input.state.trim()))));
        if (!state) throw bad('state', `"${input.state}" is not a state of this project`);
        if (state.slug !== row.state) {
          set.state = state.slug;
          events.push({ category: 'patch-state-changed', projectId: row.projectId, patchId: id, seriesId: row.seriesId, actor, payload: { previous: row.state, current: state.slug } });
        }
      }
      if (input.delegate !== undefined) {
        let delegateId: number | null = null;
        if (input.delegate !== null && input.delegate !== '') {
          const v = String(input.delegate);
          const [person] = await tx
            .select({ id: mailPerson.id })
            .from(mailPerson)
            .where(/^\d{1,9}$/.test(v) ? eq(mailPerson.id, Number(v)) : eq(mailPerson.email, v.toLowerCase()));
          if (!person) throw bad('delegate', `no user "${v}"`);
          delegateId = person.id;
        }
        if (delegateId !== row.delegateId) {
          set.delegateId = delegateId;
          events.push({ category: 'patch-delegated', projectId: row.projectId, patchId: id, seriesId: row.seriesId, actor, payload: { previous: row.delegateId, current: delegateId } });
        }
      }
      if (input.archived !== undefined) set.archived = input.archived;
      if (input.commit_ref !== undefined) set.commitRef = input.commit_ref || null;
      if (input.pull_url !== undefined) set.pullUrl = input.pull_url || null;
      if (Object.keys(set).length) await tx.update(mailPatch).set(set).where(eq(mailPatch.id, id));
      if (events.length) await tx.insert(mailEvent).values(events);
    });
    return c.json(await patchDetail(c, id));
  });

  // ---- comments ----
  async function commentsOf(c: C, kind: 'patch' | 'cover', parentId: number, commentId?: number) {
    const u = urlsFor(c);
    const parentTable = kind === 'patch' ? mailPatch : mailCover;
    const [parent] = await db.select({ id: parentTable.id, projectId: parentTable.projectId, msgid: parentTable.msgid }).from(parentTable).where(eq(parentTable.id, parentId));
    if (!parent) throw notFound(`${kind} ${parentId}`);
    const where = [eq(kind === 'patch' ? mailComment.patchId : mailComment.coverId, parentId)];
    if (commentId !== undefined) where.push(eq(mailComment.id, commentId));
    const p = parsePage(c);
    const [{ count }] = (await db.select({ count: sql<number>`count(*)::int` }).from(mailComment).where(and(...where))) as [{ count: number }];
    const rows = await db
      .select({ comment: mailComment, raw: mailMessage.raw })
      .from(mailComment)
      .innerJoin(mailMessage, eq(mailMessage.id, mailComment.messageId))
      .where(and(...where))
      .orderBy(asc(mailComment.date), asc(mailComment.id))
      .limit(commentId !== undefined ? 1 : p.limit)
      .offset(commentId !== undefined ? 0 : p.offset);
    const r = await Related.load(db, { projects: [parent.projectId], people: rows.map((x) => x.comment.submitterId) });
    const project = r.project(parent.projectId);
    const parentUrl = kind === 'patch' ? u.patch(parentId) : u.cover(parentId);
    const parentWeb = kind === 'patch' ? u.patchWeb(project.linkName, parent.msgid) : u.coverWeb(project.linkName, parent.msgid);
    const list = rows.map((x) => commentJson(u, x.comment, r, parentUrl, parentWeb, x.raw));
    if (commentId !== undefined) {
      if (!list[0]) throw notFound(`comment ${commentId}`);
      return c.json(list[0]);
    }
    setPageLinks(c, p, count, u.origin);
    return c.json(list);
  }
  aget('/patches/:id/comments/', (c) => commentsOf(c, 'patch', idOf(c)));
  aget('/patches/:id/comments/:cid/', (c) => commentsOf(c, 'patch', idOf(c), idOf(c, 'cid')));
  aget('/covers/:id/comments/', (c) => commentsOf(c, 'cover', idOf(c)));
  aget('/covers/:id/comments/:cid/', (c) => commentsOf(c, 'cover', idOf(c), idOf(c, 'cid')));

  // ---- checks ----
  aget('/patches/:id/checks/', async (c) => {
    const u = urlsFor(c);
    const id = idOf(c);
    const [patch] = await db.select({ id: mailPatch.id }).from(mailPatch).where(eq(mailPatch.id, id));
    if (!patch) throw notFound(`patch ${id}`);
    const p = parsePage(c);
    const state = c.req.query('state');
    const filter = {
      user: c.req.query('user') || undefined,
      state: state || undefined,
      context: c.req.query('context') || undefined,
      since: dateParam(c, 'since'),
      before: dateParam(c, 'before'),
    };
    const { count, rows } = await listChecks(db, { on: 'patch', ids: [id] }, filter, { limit: p.limit, offset: p.offset });
    setPageLinks(c, p, count, u.origin);
    return c.json(rows.map((x) => checkJson(u, x)));
  });
  aget('/patches/:id/checks/:cid/', async (c) => {
    const [row] = await db
      .select()
      .from(mailCheck)
      .where(and(eq(mailCheck.patchId, idOf(c)), eq(mailCheck.id, idOf(c, 'cid'))));
    if (!row) throw notFound('check');
    return c.json(checkJson(urlsFor(c), row));
  });
  api.post('/patches/:id/checks/', write(postCheck));
  api.post('/patches/:id/checks', write(postCheck));
  async function postCheck(c: C) {
    const id = idOf(c);
    const input = parseOrThrow(checkInputSchema, await bodyOf(c));
    const check = await createPatchCheck(db, id, c.get('principal') ?? 'anonymous', input);
    return c.json(checkJson(urlsFor(c), check), 201);
  }

  // ---- covers ----
  aget('/covers/', async (c) => {
    const u = urlsFor(c);
    const p = parsePage(c);
    const where: SQL[] = [];
    const project = await projectParam(db, c);
    if (project !== undefined) where.push(eq(mailCover.projectId, project));
    const submitter = await personParam(db, c, 'submitter');
    if (submitter !== undefined) where.push(eq(mailCover.submitterId, submitter));
    const series = intParam(c, 'series');
    if (series !== undefined) where.push(eq(mailCover.seriesId, series));
    const msgid = msgidParam(c);
    if (msgid) where.push(eq(mailCover.msgid, msgid));
    const since = dateParam(c, 'since');
    if (since) where.push(sql`${mailCover.date} >= ${since.toISOString()}::timestamptz`);
    const before = dateParam(c, 'before');
    if (before) where.push(sql`${mailCover.date} < ${before.toISOString()}::timestamptz`);
    const q = likeParam(c);
    if (q) where.push(ilike(mailCover.name, q));
    const order = orderParam(c, ['id', 'name', 'date', 'submitter', 'project'] as const, 'id');
    const col = { id: mailCover.id, name: mailCover.name, date: mailCover.date, submitter: mailCover.submitterId, project: mailCover.projectId }[order.field];
    const cond = where.length ? and(...where) : undefined;
    const [{ count }] = (await db.select({ count: sql<number>`count(*)::int` }).from(mailCover).where(cond)) as [{ count: number }];
    setPageLinks(c, p, count, u.origin);
    const rows = await db
      .select()
      .from(mailCover)
      .where(cond)
      .orderBy(order.desc ? desc(col) : asc(col), order.desc ? desc(mailCover.id) : asc(mailCover.id))
      .limit(p.limit)
      .offset(p.offset);
    const r = await Related.load(db, { projects: rows.map((x) => x.projectId), people: rows.map((x) => x.submitterId), series: rows.map((x) => x.seriesId) });
    return c.json(rows.map((x) => coverJson(u, x, r)));
  });
  aget('/covers/:id/', async (c) => {
    const id = idOf(c);
    const [row] = await db.select().from(mailCover).where(eq(mailCover.id, id));
    if (!row) throw notFound(`cover ${id}`);
    const [raw] = await db.select({ raw: mailMessage.raw }).from(mailMessage).where(eq(mailMessage.id, row.messageId));
    const r = await Related.load(db, { projects: [row.projectId], people: [row.submitterId], series: [row.seriesId] });
    return c.json(coverJson(urlsFor(c), row, r, { raw: raw?.raw ?? null }));
  });

  // ---- series ----
  aget('/series/', async (c) => {
    const u = urlsFor(c);
    const p = parsePage(c);
    const where: SQL[] = [];
    const project = await projectParam(db, c);
    if (project !== undefined) where.push(eq(mailSeries.projectId, project));
    const submitter = await personParam(db, c, 'submitter');
    if (submitter !== undefined) where.push(eq(mailSeries.submitterId, submitter));
    const since = dateParam(c, 'since');
    if (since) where.push(sql`${mailSeries.date} >= ${since.toISOString()}::timestamptz`);
    const before = dateParam(c, 'before');
    if (before) where.push(sql`${mailSeries.date} < ${before.toISOString()}::timestamptz`);
    const q = likeParam(c);
    if (q) where.push(ilike(mailSeries.name, q));
    const order = orderParam(c, ['id', 'name', 'date', 'submitter', 'project', 'version'] as const, 'id');
    const col = { id: mailSeries.id, name: mailSeries.name, date: mailSeries.date, submitter: mailSeries.submitterId, project: mailSeries.projectId, version: mailSeries.version }[order.field];
    const cond = where.length ? and(...where) : undefined;
    const [{ count }] = (await db.select({ count: sql<number>`count(*)::int` }).from(mailSeries).where(cond)) as [{ count: number }];
    setPageLinks(c, p, count, u.origin);
    const rows = await db
      .select()
      .from(mailSeries)
      .where(cond)
      .orderBy(order.desc ? desc(col) : asc(col), order.desc ? desc(mailSeries.id) : asc(mailSeries.id))
      .limit(p.limit)
      .offset(p.offset);
    const r = await Related.load(db, { series: rows.map((x) => x.id), seriesPatches: true });
    return c.json(rows.map((x) => seriesJson(u, x, r)));
  });
  aget('/series/:id/', async (c) => {
    const id = idOf(c);
    const r = await Related.load(db, { series: [id], seriesPatches: true });
    const s = r.series.get(id);
    if (!s) throw notFound(`series ${id}`);
    return c.json(seriesJson(urlsFor(c), s, r));
  });

  // ---- events ----
  aget('/events/', async (c) => {
    const u = urlsFor(c);
    const p = parsePage(c);
    const order = orderParam(c, ['date'] as const, 'date');
    const newestFirst = c.req.query('order') ? order.desc : true;
    const filter = await eventFilterParams(db, c);
    const { count, rows } = await listEvents(db, filter, { limit: p.limit, offset: p.offset, newestFirst });
    setPageLinks(c, p, count, u.origin);
    return c.json(await eventsJson(db, u, rows));
  });

  // ---- downloads by id (convenience; Patchwork's own are the web paths below) ----
  aget('/patches/:id/mbox/', async (c) => {
    const id = idOf(c);
    const [row] = await db.select().from(mailPatch).where(eq(mailPatch.id, id));
    if (!row) throw notFound(`patch ${id}`);
    return mboxResponse(c, await patchesMbox(db, [row]), downloadName(row.name, 'patch'));
  });
  aget('/series/:id/mbox/', (c) => seriesMbox(c, idOf(c)));

  for (const v of API_VERSIONS) {
    app.route(`/api/${v}`, api);
    app.get(`/api/${v}/`, read(root));
  }
  app.route('/api', api);
  app.get('/api/', read(root));

  // ---- Patchwork's web paths ----
  get('/series/:id/mbox/', (c) => seriesMbox(c, idOf(c)));
  get('/patch/:id/mbox/', async (c) => {
    const id = idOf(c);
    const [row] = await db.select().from(mailPatch).where(eq(mailPatch.id, id));
    if (!row) throw notFound(`patch ${id}`);
    return mboxResponse(c, await patchesMbox(db, [row]), downloadName(row.name, 'patch'));
  });
  app.get('/project/:linkname/:kind{patch|cover}/*', read(webDownload));
  // the series web_url: no HTML UI here, so the API's answer for it
  get('/project/:linkname/list/', async (c) => {
    const u = urlsFor(c);
    const series = intParam(c, 'series');
    if (series !== undefined) return c.redirect(u.series(series), 302);
    return c.redirect(`${u.api('patches/')}?project=${encodeURIComponent(c.req.param('linkname') ?? '')}`, 302);
  });

  async function seriesMbox(c: C, id: number) {
    const [s] = await db.select().from(mailSeries).where(eq(mailSeries.id, id));
    if (!s) throw notFound(`series ${id}`);
    const patches = await seriesPatches(db, id);
    return mboxResponse(c, await patchesMbox(db, patches), downloadName(s.name ?? `series-${id}`, 'patch'));
  }

  /** /project/<linkname>/patch/<msgid>/{mbox,raw,} and /project/<linkname>/cover/<msgid>/{mbox,} */
  async function webDownload(c: C): Promise<Response> {
    const linkName = c.req.param('linkname') ?? '';
    const kind = c.req.param('kind') as 'patch' | 'cover';
    const prefix = `/project/${encodeURIComponent(linkName)}/${kind}/`;
    const rest = c.req.path.startsWith(prefix) ? c.req.path.slice(prefix.length) : c.req.path.replace(/^\/project\/[^/]+\/(patch|cover)\//, '');
    const m = /^(.+?)\/(mbox\/?|raw\/?)?$/.exec(rest);
    if (!m) throw notFound(`${kind} ${rest}`);
    let bare: string;
    try {
      bare = decodeURIComponent(m[1]!);
    } catch {
      throw new AppError('invalid_request', 'msgid: not a valid URL-encoded message id', { field: 'msgid' });
    }
    const action = (m[2] ?? '').replace(/\/$/, '');
    const [project] = await db.select().from(mailProject).where(eq(mailProject.linkName, linkName));
    if (!project) throw notFound(`project ${linkName}`);
    const msgid = `<${bare.replace(/^<|>$/g, '')}>`;
    const u = urlsFor(c);
    if (kind === 'cover') {
      const [cover] = await db.select().from(mailCover).where(and(eq(mailCover.projectId, project.id), eq(mailCover.msgid, msgid)));
      if (!cover) throw notFound(`cover ${bare}`);
      if (action === 'mbox') return mboxResponse(c, await coverMbox(db, cover), downloadName(cover.name, 'mbox'));
      if (action === 'raw') throw notFound('raw download of a cover letter');
      return c.redirect(u.cover(cover.id), 302);
    }
    const [patch] = await db.select().from(mailPatch).where(and(eq(mailPatch.projectId, project.id), eq(mailPatch.msgid, msgid)));
    if (!patch) throw notFound(`patch ${bare}`);
    if (action === 'mbox') {
      // Patchwork: ?series=* adds the patch's earlier siblings first (what `git pw patch apply --series` asks)
      if (c.req.query('series') !== undefined && patch.seriesId !== null) {
        const siblings = (await seriesPatches(db, patch.seriesId)).filter((p) => (p.number ?? 0) <= (patch.number ?? 0));
        return mboxResponse(c, await patchesMbox(db, siblings), downloadName(patch.name, 'patch'));
      }
      return mboxResponse(c, await patchesMbox(db, [patch]), downloadName(patch.name, 'patch'));
    }
    if (action === 'raw') {
      return new Response(patch.diff ?? '', { status: 200, headers: { 'content-type': 'text/x-patch; charset=utf-8', 'content-disposition': downloadName(patch.name, 'diff') } });
    }
    return c.redirect(u.patch(patch.id), 302);
  }

  return app;
}

/** git-pw and pwclient send `Authorization: Token <t>` (Django REST framework's scheme): our API tokens are Bearer tokens. */
function tokenAsBearer(c: C): void {
  const h = c.req.header('authorization');
  if (!h || !/^token\s+\S/i.test(h)) return;
  try {
    c.req.raw.headers.set('authorization', h.replace(/^token\s+/i, 'Bearer '));
  } catch {
    // immutable headers: the guard then refuses the unknown scheme with a 401
  }
}

function mboxResponse(_c: C, body: Buffer, disposition: string): Response {
  return new Response(new Uint8Array(body), { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'content-disposition': disposition } });
}

// list pages: every column but diff and content
const listColumns = { ...getTableColumns(mailPatch), diff: sql<string | null>`null`, content: sql<string | null>`null` };
