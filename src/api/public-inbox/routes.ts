/**
 * A project's mail served at the paths public-inbox (lore.kernel.org) answers, so b4 and lei can read
 * it: `/lists/<link name>/<msgid>/raw`, `…/t.mbox.gz`, `…/` (a message page), `/lists/<link name>/new.atom`
 * and `/lists/<link name>/` (the newest messages). `…/<msgid>` without the slash redirects to the page,
 * as public-inbox does: b4 asks for it with HEAD and takes the list's URL from the redirect.
 * `/lists/<link name>/?q=…` searches (search.ts); POSTed with `x=m` it answers the results as a gzipped
 * mbox, which is how b4 looks for newer versions of a series (`b4 shazam`, `b4 am -c`). Message ids
 * come without angle brackets, percent-encoded (b4 encodes `@` and `/`); an unknown one is a 404. Reads
 * follow READ_AUTH.
 */
import { Hono, type Context } from 'hono';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { archiveProject, findMessage, newestMessages, searchMessages, threadOf } from '../../mail/archive/archive.js';
import { gzippedMboxrd, mboxrd } from '../../mail/archive/mboxrd.js';
import { readableMessage } from '../../mail/archive/readable.js';
import { parseSearch, type SearchQuery } from '../../mail/archive/search.js';
import type { Guard } from '../auth-guard.js';
import type { ApiEnv } from '../context.js';
import { originOf } from '../../http/request.js';
import { atomFeed, listPage, messagePage, messageUrl } from './views.js';

export const ARCHIVE_PREFIX = '/lists';

/** How many messages the feed and the list page show (public-inbox's default too). */
const NEWEST = 25;
/** How many messages a search answers at most (public-inbox's cap for an mbox of results is larger) */
const SEARCH_LIMIT = 200;

export interface PublicInboxDeps {
  db: Database;
  requireRead: Guard;
}

type C = Context<ApiEnv>;

function notFound(what: string): AppError {
  return new AppError('not_found', `${what} not found`);
}

function segment(encoded: string, field: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new AppError('invalid_request', `${field}: not a valid percent-encoded value`, { field });
  }
}

/** The path after the prefix, split on `/` before decoding (a message id may hold an encoded `/`). */
function pathParts(c: C): string[] {
  return new URL(c.req.url).pathname.slice(ARCHIVE_PREFIX.length + 1).split('/');
}

export function publicInboxRoutes(deps: PublicInboxDeps): Hono<ApiEnv> {
  const { db } = deps;
  const app = new Hono<ApiEnv>();

  app.get(`${ARCHIVE_PREFIX}/*`, async (c) => (await deps.requireRead(c)) ?? serve(c));
  // public-inbox hands out search results as an mbox only to POST (b4 posts), keeping crawlers off it;
  // the app matches with or without the trailing slash b4 sends
  app.post(`${ARCHIVE_PREFIX}/:list`, async (c) => (await deps.requireRead(c)) ?? search(c));

  async function projectOf(c: C, listPart: string) {
    const linkName = segment(listPart, 'list');
    const project = await archiveProject(db, linkName);
    if (!project) throw notFound(`list ${linkName}`);
    return { project, list: `${originOf(c)}${ARCHIVE_PREFIX}/${encodeURIComponent(project.linkName)}/` };
  }

  function searchOf(c: C): SearchQuery | undefined {
    const q = c.req.query('q');
    // an empty search box shows the newest messages
    return q === undefined || q.trim() === '' ? undefined : parseSearch(q);
  }

  async function search(c: C): Promise<Response> {
    const { project } = await projectOf(c, pathParts(c)[0] ?? '');
    const query = searchOf(c);
    if (!query) throw new AppError('invalid_request', 'q: a search query is required', { field: 'q' });
    if (c.req.query('x') !== 'm') throw new AppError('invalid_request', 'x: only x=m (an mbox of the results) is answered to POST', { field: 'x' });
    const found = await searchMessages(db, project.id, query, SEARCH_LIMIT);
    // public-inbox: nothing found is a 404 (b4 then says "Nothing matching that query")
    if (!found.length) throw notFound('a message matching the query');
    return new Response(new Uint8Array(await gzippedMboxrd(found.reverse().map((m) => m.raw))), {
      status: 200,
      headers: { 'content-type': 'application/gzip', 'content-disposition': `inline; filename=results-${project.linkName}.mbox.gz` },
    });
  }

  async function serve(c: C): Promise<Response> {
    const [listPart = '', msgidPart, action, ...extra] = pathParts(c);
    const { project, list } = await projectOf(c, listPart);

    if (msgidPart === undefined || msgidPart === '') {
      if (msgidPart === undefined) return c.redirect(list, 301);
      const query = searchOf(c);
      const shown = query ? await searchMessages(db, project.id, query, SEARCH_LIMIT) : await newestMessages(db, project.id, NEWEST);
      return c.html(await listPage(list, project.linkName, shown, query ? c.req.query('q') : undefined));
    }
    if (msgidPart === 'new.atom' && action === undefined) {
      const newest = await newestMessages(db, project.id, NEWEST);
      const feed = await atomFeed(list, project.linkName, newest.map((message) => ({ message, text: readableMessage(message.raw).text })));
      return c.body(feed, 200, { 'content-type': 'application/atom+xml; charset=utf-8' });
    }

    const msgid = segment(msgidPart, 'msgid');
    if (!msgid.trim()) throw new AppError('invalid_request', 'msgid: empty message id', { field: 'msgid' });
    if (extra.length > 1 || (extra.length === 1 && extra[0] !== '')) throw notFound(`${c.req.path}`);
    switch (action) {
      case undefined: {
        const m = await findMessage(db, project.id, msgid);
        if (!m) throw notFound(`message <${msgid}>`);
        return c.redirect(messageUrl(list, m.msgid), 301);
      }
      case '': {
        const m = await findMessage(db, project.id, msgid);
        if (!m) throw notFound(`message <${msgid}>`);
        return c.html(await messagePage(list, project.linkName, m, readableMessage(m.raw), await threadOf(db, project.id, m.msgid)));
      }
      case 'raw': {
        const m = await findMessage(db, project.id, msgid);
        if (!m) throw notFound(`message <${msgid}>`);
        // text/plain, as public-inbox answers, so a browser shows it; no charset: the bytes are the sender's
        return new Response(new Uint8Array(mboxrd([m.raw])), { headers: { 'content-type': 'text/plain' } });
      }
      case 't.mbox.gz': {
        const thread = await threadOf(db, project.id, msgid);
        if (!thread.length) throw notFound(`message <${msgid}>`);
        const body = await gzippedMboxrd(thread.map((m) => m.raw));
        return new Response(new Uint8Array(body), {
          status: 200,
          headers: { 'content-type': 'application/gzip', 'content-disposition': `inline; filename=${msgidFileName(msgid)}.mbox.gz` },
        });
      }
      default:
        throw notFound(c.req.path);
    }
  }

  return app;
}

function msgidFileName(msgid: string): string {
  return msgid.replace(/[^A-Za-z0-9._@-]+/g, '-').slice(0, 200) || 'thread';
}
