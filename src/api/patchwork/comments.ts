/** /patches/{id}/comments/ and /covers/{id}/comments/: the replies, oldest first, and one of them. */
import { Hono } from 'hono';
import { commentParent, listComments, type CommentParentKind } from '../../patchwork/comments.js';
import { Related } from '../../patchwork/related.js';
import type { ApiEnv } from '../context.js';
import { parsePage, setPageLinks } from './paging.js';
import { idOf, notFound, urlsFor, type C, type PatchworkRouteDeps } from './request.js';
import { commentJson } from './serialize.js';

export function commentRoutes({ db, read }: PatchworkRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  async function comments(c: C, kind: CommentParentKind, commentId?: number) {
    const u = urlsFor(c);
    const parentId = idOf(c);
    const parent = await commentParent(db, kind, parentId);
    if (!parent) throw notFound(`${kind} ${parentId}`);
    const p = parsePage(c);
    const { count, rows } = await listComments(db, kind, parentId, p, commentId);
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

  for (const [kind, path] of [
    ['patch', '/patches'],
    ['cover', '/covers'],
  ] as const) {
    app.get(`${path}/:id/comments`, read, (c) => comments(c, kind));
    app.get(`${path}/:id/comments/:cid`, read, (c) => comments(c, kind, idOf(c, 'cid')));
  }
  return app;
}
