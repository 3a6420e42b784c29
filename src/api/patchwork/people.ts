/**
 * /people/ and /users/: the same people (Patchwork keeps users apart; here delegates are people), as
 * submitters or as users with the address for a username, searchable by name or address (`q`).
 */
import { Hono } from 'hono';
import type { MailPersonRow } from '../../db/schema/mail.js';
import { getPerson, listPeople } from '../../patchwork/people.js';
import type { ApiEnv } from '../context.js';
import { searchParam } from './filters.js';
import { parsePage, setPageLinks } from './paging.js';
import { idOf, notFound, urlsFor, type PatchworkRouteDeps } from './request.js';
import { personJson, userJson } from './serialize.js';
import type { Urls } from './urls.js';

export function peopleRoutes({ db, read }: PatchworkRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  for (const [path, render] of [
    ['/people', (u: Urls, r: MailPersonRow) => personJson(u, r)],
    ['/users', userJson],
  ] as const) {
    app.get(path, read, async (c) => {
      const u = urlsFor(c);
      const p = parsePage(c);
      const { count, rows } = await listPeople(db, { q: searchParam(c) }, p);
      setPageLinks(c, p, count, u.origin);
      return c.json(rows.map((r) => render(u, r)));
    });
    app.get(`${path}/:id`, read, async (c) => {
      const id = idOf(c);
      const row = await getPerson(db, id);
      if (!row) throw notFound(`person ${id}`);
      return c.json(render(urlsFor(c), row));
    });
  }
  return app;
}
