/**
 * mbox and raw downloads: by id under the API (a convenience), and Patchwork's own web paths that git-pw
 * and pwclient fetch (/project/<linkname>/patch/<msgid>/mbox/, /series/<id>/mbox/, …). A patch's web page
 * URL leads to the dashboard's page for it (src/web); a cover letter's, which has no page, to the API.
 */
import { Hono } from 'hono';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { coverByMsgid } from '../../patchwork/covers.js';
import { getPatch, patchByMsgid } from '../../patchwork/patches.js';
import { projectByLinkName } from '../../patchwork/projects.js';
import { getSeries } from '../../patchwork/series.js';
import type { ApiEnv } from '../context.js';
import { coverMbox, downloadName, patchesMbox, seriesPatches } from '../../mail/export/mbox.js';
import { idOf, mboxResponse, notFound, urlsFor, type C, type PatchworkRouteDeps } from './request.js';

async function patchMbox(db: Database, id: number): Promise<Response> {
  const row = await getPatch(db, id);
  if (!row) throw notFound(`patch ${id}`);
  return mboxResponse(await patchesMbox(db, [row]), downloadName(row.name, 'patch'));
}

async function seriesMbox(db: Database, id: number): Promise<Response> {
  const s = await getSeries(db, id);
  if (!s) throw notFound(`series ${id}`);
  const patches = await seriesPatches(db, id);
  return mboxResponse(await patchesMbox(db, patches), downloadName(s.name ?? `series-${id}`, 'patch'));
}

/** Under each API prefix. */
export function apiDownloadRoutes({ db, read }: PatchworkRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get('/patches/:id/mbox', read, (c) => patchMbox(db, idOf(c)));
  app.get('/series/:id/mbox', read, (c) => seriesMbox(db, idOf(c)));
  return app;
}

/** Patchwork's web paths, at the root. */
export function webRoutes({ db, read }: PatchworkRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get('/series/:id/mbox', read, (c) => seriesMbox(db, idOf(c)));
  app.get('/patch/:id/mbox', read, (c) => patchMbox(db, idOf(c)));
  app.get('/project/:linkname/:kind{patch|cover}/*', read, (c) => webDownload(db, c));
  // the series web_url (/project/<linkname>/list/?series=<id>) is the dashboard's patch list (src/web)
  return app;
}

/** /project/<linkname>/patch/<msgid>/{mbox,raw,} and /project/<linkname>/cover/<msgid>/{mbox,} */
async function webDownload(db: Database, c: C): Promise<Response> {
  const linkName = c.req.param('linkname') ?? '';
  const kind = c.req.param('kind') as 'patch' | 'cover';
  const prefix = `/project/${encodeURIComponent(linkName)}/${kind}/`;
  const rest = c.req.path.startsWith(prefix) ? c.req.path.slice(prefix.length) : c.req.path.replace(/^\/project\/[^/]+\/(patch|cover)\//, '');
  // c.req.path comes without its trailing slash (the app is not strict about it)
  const m = /^(.+?)(?:\/(mbox|raw))?\/?$/.exec(rest);
  if (!m) throw notFound(`${kind} ${rest}`);
  let bare: string;
  try {
    bare = decodeURIComponent(m[1]!);
  } catch {
    throw new AppError('invalid_request', 'msgid: not a valid URL-encoded message id', { field: 'msgid' });
  }
  const action = m[2] ?? '';
  const project = await projectByLinkName(db, linkName);
  if (!project) throw notFound(`project ${linkName}`);
  const msgid = `<${bare.replace(/^<|>$/g, '')}>`;
  const u = urlsFor(c);
  if (kind === 'cover') {
    const cover = await coverByMsgid(db, project.id, msgid);
    if (!cover) throw notFound(`cover ${bare}`);
    if (action === 'mbox') return mboxResponse(await coverMbox(db, cover), downloadName(cover.name, 'mbox'));
    if (action === 'raw') throw notFound('raw download of a cover letter');
    return c.redirect(u.cover(cover.id), 302);
  }
  const patch = await patchByMsgid(db, project.id, msgid);
  if (!patch) throw notFound(`patch ${bare}`);
  if (action === 'mbox') {
    // Patchwork: ?series=* adds the patch's earlier siblings first (what `git pw patch apply --series` asks)
    if (c.req.query('series') !== undefined && patch.seriesId !== null) {
      const siblings = (await seriesPatches(db, patch.seriesId)).filter((p) => (p.number ?? 0) <= (patch.number ?? 0));
      return mboxResponse(await patchesMbox(db, siblings), downloadName(patch.name, 'patch'));
    }
    return mboxResponse(await patchesMbox(db, [patch]), downloadName(patch.name, 'patch'));
  }
  if (action === 'raw') {
    return new Response(patch.diff ?? '', { status: 200, headers: { 'content-type': 'text/x-patch; charset=utf-8', 'content-disposition': downloadName(patch.name, 'diff') } });
  }
  return c.redirect(`/patch/${patch.id}/`, 302);
}
