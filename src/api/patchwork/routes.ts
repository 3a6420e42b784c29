/**
 * The Patchwork REST API (1.3) over the mail store, for git-pw, pwclient and CI bots: projects, people,
 * users (delegates), patches, covers, series, comments, checks and events under /api/1.x/ (and /api/),
 * with Patchwork's filters, page/per_page pagination and Link headers; plus the web paths that serve
 * mbox and raw downloads. Reads follow READ_AUTH; changing a patch or adding a check needs write access.
 * Patchwork's URLs end in '/' and clients sometimes drop it: the app matches both (Hono's strict: false),
 * so routes here are written without it.
 */
import { Hono } from 'hono';
import { every } from 'hono/combine';
import type { Database } from '../../db/client.js';
import { guard, type Guard } from '../auth-guard.js';
import type { ApiEnv } from '../context.js';
import { checkRoutes } from './checks.js';
import { commentRoutes } from './comments.js';
import { coverRoutes } from './covers.js';
import { apiDownloadRoutes, webRoutes } from './downloads.js';
import { eventRoutes } from './events.js';
import { parsePage, setPageLinks } from './paging.js';
import { patchRoutes } from './patches.js';
import { peopleRoutes } from './people.js';
import { projectRoutes } from './projects.js';
import { tokenAsBearer, urlsFor, type PatchworkRouteDeps } from './request.js';
import { seriesRoutes } from './series.js';
import { originOf } from '../../http/request.js';

export interface PatchworkDeps {
  db: Database;
  requireWrite: Guard;
  requireRead: Guard;
  /** posting a check needs its own scope (a CI bot's token need not change patches) */
  requireCheckWrite: Guard;
}

export const API_VERSIONS = ['1.0', '1.1', '1.2', '1.3'] as const;

export function patchworkRoutes(deps: PatchworkDeps): Hono<ApiEnv> {
  const route: PatchworkRouteDeps = {
    db: deps.db,
    read: every(tokenAsBearer, guard(deps.requireRead)),
    write: every(tokenAsBearer, guard(deps.requireWrite)),
    writeCheck: every(tokenAsBearer, guard(deps.requireCheckWrite)),
  };

  const api = new Hono<ApiEnv>();
  api.get('/', route.read, (c) => {
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
  });
  // Bundles are a Patchwork web feature we don't keep: an empty, well-formed list.
  api.get('/bundles', route.read, (c) => {
    setPageLinks(c, parsePage(c), 0, originOf(c));
    return c.json([]);
  });
  for (const resource of [projectRoutes, peopleRoutes, patchRoutes, commentRoutes, checkRoutes, coverRoutes, seriesRoutes, eventRoutes, apiDownloadRoutes]) {
    api.route('/', resource(route));
  }

  const app = new Hono<ApiEnv>();
  for (const v of API_VERSIONS) app.route(`/api/${v}`, api);
  app.route('/api', api);
  app.route('/', webRoutes(route));
  return app;
}
