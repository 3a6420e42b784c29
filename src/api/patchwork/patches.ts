/**
 * /patches/: Patchwork's filters and order over the patches, one patch with its headers and diff, and the
 * maintainer's change to it (PATCH/PUT, form or JSON: state, delegate, archived, commit_ref, pull_url).
 */
import { z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import type { Database } from '../../db/client.js';
import { invalidInput } from '../../errors.js';
import { updatePatch } from '../../patchwork/patch-update.js';
import { getPatch, knownStateSlugs, listPatches, PATCH_ORDER, rawMessage, stateSlug, type PatchFilter } from '../../patchwork/patches.js';
import { Related } from '../../patchwork/related.js';
import type { ApiEnv } from '../context.js';
import { parseOrThrow } from '../../input.js';
import { boolParam, dateRangeParams, intParam, msgidParam, orderParam, personParam, projectParam, searchParam } from './filters.js';
import { parsePage, setPageLinks } from './paging.js';
import { bodyOf, idOf, notFound, urlsFor, type C, type PatchworkRouteDeps } from './request.js';
import { patchJson } from './serialize.js';

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

async function patchFilterParams(db: Database, c: C): Promise<PatchFilter> {
  const projectId = await projectParam(db, c);
  const states = c.req.queries('state')?.filter((s) => s !== '') ?? [];
  // a slug or a name, as Patchwork takes them; one no project has is a 400
  const slugs = states.map(stateSlug);
  const known = await knownStateSlugs(db, slugs);
  const unknown = states.find((_, i) => !known.has(slugs[i]!));
  if (unknown !== undefined) throw invalidInput('state', `no state "${unknown}"`);
  const archived = boolParam(c, 'archived');
  const submitterId = await personParam(db, c, 'submitter');
  const delegateId = await personParam(db, c, 'delegate');
  const seriesId = intParam(c, 'series');
  const dates = dateRangeParams(c);
  const msgid = msgidParam(c);
  const hash = c.req.query('hash') || undefined;
  if (hash && !/^[0-9a-f]{40}$/i.test(hash)) throw invalidInput('hash', 'expected a 40-character hexadecimal patch hash');
  return { projectId, states: slugs, archived, submitterId, delegateId, seriesId, ...dates, msgid, hash, q: searchParam(c) };
}

/** One patch as its detail page shows it: with the headers of its mail, the content and the diff. */
export async function patchDetail(db: Database, c: C, id: number) {
  const row = await getPatch(db, id);
  if (!row) throw notFound(`patch ${id}`);
  const raw = await rawMessage(db, row.messageId);
  const r = await Related.load(db, { projects: [row.projectId], people: [row.submitterId, row.delegateId], series: [row.seriesId], patchChecks: [row.id] });
  return patchJson(urlsFor(c), row, r, { raw });
}

export function patchRoutes({ db, read, write }: PatchworkRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.get('/patches', read, async (c) => {
    const u = urlsFor(c);
    const p = parsePage(c);
    const order = orderParam(c, PATCH_ORDER, 'id');
    const { count, rows } = await listPatches(db, await patchFilterParams(db, c), order, p);
    setPageLinks(c, p, count, u.origin);
    const r = await Related.load(db, {
      projects: rows.map((x) => x.projectId),
      people: rows.flatMap((x) => [x.submitterId, x.delegateId]),
      series: rows.map((x) => x.seriesId),
      patchChecks: rows.map((x) => x.id),
    });
    return c.json(rows.map((x) => patchJson(u, x, r)));
  });

  app.get('/patches/:id', read, async (c) => c.json(await patchDetail(db, c, idOf(c))));

  app.on(['PATCH', 'PUT'], '/patches/:id', write, async (c) => {
    const id = idOf(c);
    const input = parseOrThrow(patchUpdateSchema, await bodyOf(c));
    await updatePatch(
      db,
      id,
      { state: input.state, delegate: input.delegate, archived: input.archived, commitRef: input.commit_ref, pullUrl: input.pull_url },
      c.get('principal') ?? null,
      c.get('access'),
    );
    return c.json(await patchDetail(db, c, id));
  });

  return app;
}
