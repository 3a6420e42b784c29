/**
 * The admin's pages (`/admin/…`): users, project maintainers and API tokens, over the domain functions the
 * CLI (`patch-tracking user …`, `project maintainer …`) and the API's token routes call. Reading needs a
 * login with the admin scope (anonymous → the login page, anyone else → 403); every write also needs the
 * form's CSRF token, and is logged with its actor (never a password or a token).
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { createApiToken, listApiTokens, revokeApiToken } from '../auth/tokens.js';
import { isScope } from '../auth/scopes.js';
import { addMaintainer, createUser, findUserByName, listUsers, maintainedProjects, projectMaintainers, removeMaintainer, removeUser, setUserPassword, updateUser } from '../auth/users.js';
import type { Database } from '../db/client.js';
import { AppError, invalidInput } from '../errors.js';
import { statusOf } from '../http/status.js';
import type { Logger } from '../log.js';
import { listProjects, projectByLinkName } from '../patchwork/projects.js';
import type { Html } from './layout.js';
import { formList, formText, idParam, yesNo } from './params.js';
import type { WebEnv } from './routes.js';
import { maintainersPage, projectsPage, tokenCreatedPage, tokensPage, userPage, usersPage, type Notice } from './views/admin.js';

/** What a write did, said on the page it returns to (by name, never text from the URL). */
const DONE: Record<string, string> = {
  created: 'User added.',
  updated: 'Saved; their dashboard sessions ended.',
  password: 'Password set; their dashboard sessions ended.',
  deactivated: 'Deactivated: they cannot log in, their tokens are refused and their dashboard sessions ended.',
  activated: 'Activated: they may log in again.',
  removed: 'User removed, with their tokens and maintainerships.',
  added: 'Maintainer added.',
  unassigned: 'Maintainer removed.',
  revoked: 'Token revoked; dashboard sessions that logged in with it ended.',
};

function doneNotice(c: Context): Notice | undefined {
  const done = c.req.query('done');
  return done && Object.hasOwn(DONE, done) ? { text: DONE[done]!, error: false } : undefined;
}

export interface AdminPageGuards {
  /** a page: an admin login (anonymous → login page, others → 403) */
  read: MiddlewareHandler<WebEnv>;
  /** a write: a login and the form's CSRF token (then `admin`) */
  write: MiddlewareHandler<WebEnv>;
  /** the admin scope */
  admin: MiddlewareHandler<WebEnv>;
}

export function registerAdminPages(app: Hono<WebEnv>, deps: { db: Database; logger: Logger }, guard: AdminPageGuards): void {
  const { db } = deps;
  const audit = (c: Context<WebEnv>, facts: Record<string, unknown>, message: string) => deps.logger.info({ ...facts, actor: c.get('page').principal }, message);

  /**
   * A form's write, admin only (a login, the form's CSRF token, the admin scope): done → the page it belongs
   * to (`act` returns where, with `?done=`); refused for a reason the admin can fix (a bad field, a name
   * taken) → that page again, saying why, with the error's status.
   */
  const adminPost = (
    path: string,
    view: (c: Context<WebEnv>, notice: Notice) => Promise<Html>,
    act: (c: Context<WebEnv>, form: Record<string, unknown>) => Promise<string | Response>,
  ) =>
    app.post(path, guard.write, guard.admin, async (c: Context<WebEnv>) => {
      try {
        const done = await act(c, await c.req.parseBody({ all: true }));
        return typeof done === 'string' ? c.redirect(done, 303) : done;
      } catch (err) {
        if (err instanceof AppError) return c.html(await view(c, { text: err.message, error: true }), statusOf(err));
        throw err;
      }
    });

  const required = (form: Record<string, unknown>, field: string) => {
    const v = formText(form, field)?.trim();
    if (!v) throw invalidInput(field, 'is required');
    return v;
  };

  // ---- users

  const usersView = async (c: Context<WebEnv>, notice?: Notice) => {
    const users = await listUsers(db);
    return usersPage(c.get('page'), { users: await Promise.all(users.map(async (user) => ({ user, maintains: await maintainedProjects(db, user.id) }))), notice });
  };

  const userView = async (c: Context<WebEnv>, notice?: Notice) => {
    const name = c.req.param('name')!;
    const user = await findUserByName(db, name);
    if (!user) throw new AppError('not_found', `no user "${name.slice(0, 70)}"`);
    const [maintains, tokens] = await Promise.all([maintainedProjects(db, user.id), listApiTokens(db)]);
    return userPage(c.get('page'), { user, maintains, tokens: tokens.filter((t) => t.userId === user.id), notice });
  };
  const userPath = (c: Context) => `/admin/users/${encodeURIComponent(c.req.param('name')!)}`;

  app.get('/admin/users', guard.read, async (c) => c.html(await usersView(c, doneNotice(c))));

  adminPost('/admin/users', usersView, async (c, form) => {
    const admin = yesNo(formText(form, 'admin'), 'admin') ?? false;
    const row = await createUser(db, { name: formText(form, 'name')?.trim() ?? '', email: formText(form, 'email')?.trim() ?? '', password: formText(form, 'password') ?? '', admin });
    audit(c, { user: row.name, admin: row.admin }, 'user added from the dashboard');
    return `/admin/users/${encodeURIComponent(row.name)}?done=created`;
  });

  app.get('/admin/users/:name', guard.read, async (c) => c.html(await userView(c, doneNotice(c))));

  adminPost('/admin/users/:name/update', userView, async (c, form) => {
    const row = await updateUser(db, c.req.param('name')!, { email: required(form, 'email'), admin: yesNo(formText(form, 'admin'), 'admin') });
    audit(c, { user: row.name, email: row.email, admin: row.admin }, 'user changed from the dashboard');
    return `${userPath(c)}?done=updated`;
  });

  adminPost('/admin/users/:name/password', userView, async (c, form) => {
    await setUserPassword(db, c.req.param('name')!, formText(form, 'password') ?? '');
    audit(c, { user: c.req.param('name') }, "user's password set from the dashboard");
    return `${userPath(c)}?done=password`;
  });

  adminPost('/admin/users/:name/active', userView, async (c, form) => {
    const active = yesNo(formText(form, 'active'), 'active');
    if (active === undefined) throw invalidInput('active', 'yes or no is required');
    await updateUser(db, c.req.param('name')!, { active });
    audit(c, { user: c.req.param('name'), active }, active ? 'user activated from the dashboard' : 'user deactivated from the dashboard');
    return `${userPath(c)}?done=${active ? 'activated' : 'deactivated'}`;
  });

  adminPost('/admin/users/:name/remove', userView, async (c) => {
    await removeUser(db, c.req.param('name')!);
    audit(c, { user: c.req.param('name') }, 'user removed from the dashboard');
    return '/admin/users?done=removed';
  });

  // ---- project maintainers

  app.get('/admin/projects', guard.read, async (c) => {
    const projects = await listProjects(db, {}, { limit: 1000, offset: 0 });
    return c.html(projectsPage(c.get('page'), { projects: await Promise.all(projects.rows.map(async (project) => ({ project, maintainers: await projectMaintainers(db, project.linkName) }))) }));
  });

  const maintainersView = async (c: Context<WebEnv>, notice?: Notice) => {
    const linkName = c.req.param('linkname')!;
    const project = await projectByLinkName(db, linkName);
    if (!project) throw new AppError('not_found', `no project "${linkName.slice(0, 70)}"`);
    const [maintainers, users] = await Promise.all([projectMaintainers(db, linkName), listUsers(db)]);
    return maintainersPage(c.get('page'), { project, maintainers, users, notice });
  };
  const maintainersPath = (c: Context) => `/admin/projects/${encodeURIComponent(c.req.param('linkname')!)}/maintainers`;

  app.get('/admin/projects/:linkname/maintainers', guard.read, async (c) => c.html(await maintainersView(c, doneNotice(c))));

  adminPost('/admin/projects/:linkname/maintainers', maintainersView, async (c, form) => {
    const user = required(form, 'user');
    await addMaintainer(db, c.req.param('linkname')!, user);
    audit(c, { project: c.req.param('linkname'), user }, 'maintainer added from the dashboard');
    return `${maintainersPath(c)}?done=added`;
  });

  adminPost('/admin/projects/:linkname/maintainers/remove', maintainersView, async (c, form) => {
    const user = required(form, 'user');
    if (!(await removeMaintainer(db, c.req.param('linkname')!, user))) throw invalidInput('user', `${user} does not maintain ${c.req.param('linkname')}`);
    audit(c, { project: c.req.param('linkname'), user }, 'maintainer removed from the dashboard');
    return `${maintainersPath(c)}?done=unassigned`;
  });

  // ---- API tokens

  const tokensView = async (c: Context<WebEnv>, notice?: Notice) => {
    const [tokens, users] = await Promise.all([listApiTokens(db), listUsers(db)]);
    return tokensPage(c.get('page'), { tokens, users, notice });
  };

  app.get('/admin/tokens', guard.read, async (c) => c.html(await tokensView(c, doneNotice(c))));

  adminPost('/admin/tokens', tokensView, async (c, form) => {
    const name = required(form, 'name');
    if (name.length > 100) throw invalidInput('name', 'at most 100 characters');
    const scopes = formList(form, 'scope');
    const unknown = scopes.find((s) => !isScope(s));
    if (unknown !== undefined) throw invalidInput('scopes', `"${unknown.slice(0, 40)}" is not a scope`);
    const owner = formText(form, 'user')?.trim() || undefined;
    const { token, row } = await createApiToken(db, name, scopes.filter(isScope), owner);
    // the token itself is in the answer only: never in a log, a URL or a later page
    audit(c, { token: row.id, name: row.name, scopes: row.scopes, user: owner ?? null }, 'API token created from the dashboard');
    return c.html(tokenCreatedPage(c.get('page'), { row, token, owner }), 201);
  });

  adminPost('/admin/tokens/:id/revoke', tokensView, async (c) => {
    const id = idParam(c);
    if (!(await revokeApiToken(db, id))) throw new AppError('not_found', `no live token ${id}`);
    audit(c, { token: id }, 'API token revoked from the dashboard');
    return '/admin/tokens?done=revoked';
  });
}
