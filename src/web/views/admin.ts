/** The admin's pages: users, the maintainers of each mailing-list project, and API tokens. */
import { html, raw } from 'hono/html';
import { SCOPE_DESCRIPTIONS, SCOPES } from '../../auth/scopes.js';
import type { ApiTokenRow, AppUserRow } from '../../db/schema/index.js';
import type { MailProjectRow } from '../../db/schema/mail.js';
import { csrfField, layout, options, when, type Html, type PageContext } from '../layout.js';

/** What a form did (after its redirect), or why it was refused. */
export type Notice = { text: string; error: boolean };

function noticeOf(notice: Notice | undefined): Html | string {
  return notice ? html`<p class="notice${notice.error ? ' error-box' : ''}" role="${notice.error ? 'alert' : 'status'}">${notice.text}</p>` : '';
}

const userPath = (name: string) => `/admin/users/${encodeURIComponent(name)}`;
const maintainersPath = (linkName: string) => `/admin/projects/${encodeURIComponent(linkName)}/maintainers`;
const yesNoOptions = [
  ['no', 'no'],
  ['yes', 'yes'],
] as const;

/** One button that posts a form (a write with its CSRF token and fixed fields). */
function postButton(ctx: PageContext, action: string, label: string, fields: Record<string, string> = {}, accessibleName?: string): Html {
  return html`<form method="post" action="${action}" class="inline">${csrfField(ctx)}${raw(Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`).join(''))}<button type="submit"${accessibleName ? html` aria-label="${accessibleName}"` : ''}>${label}</button></form>`;
}

export interface UserListing {
  user: AppUserRow;
  maintains: string[];
}

export function usersPage(ctx: PageContext, v: { users: UserListing[]; notice?: Notice }): Html {
  return layout(
    ctx,
    'Users',
    html`${noticeOf(v.notice)}
<p class="muted">People who log in besides the settings' USER: admins, project maintainers and submitters who manage their own patches. Maintainers are set per project on <a href="/admin/projects">Projects</a>; API tokens on <a href="/admin/tokens">Tokens</a>.</p>
${v.users.length ? html`<table><thead><tr><th>Name</th><th>Email</th><th>Admin</th><th>Active</th><th>Maintains</th><th>Created</th></tr></thead><tbody>
${raw(v.users.map(({ user: u, maintains }) => html`<tr><td><a href="${userPath(u.name)}">${u.name}</a></td><td>${u.email}</td><td>${u.admin ? 'admin' : ''}</td><td>${u.active ? 'yes' : html`<strong>deactivated</strong>`}</td><td>${maintains.join(', ')}</td><td>${when(u.createdAt)}</td></tr>`).join(''))}
</tbody></table>` : html`<p class="muted">No users yet.</p>`}
<h2>Add a user</h2>
<form method="post" action="/admin/users" class="filters">${csrfField(ctx)}
<label>Name<input name="name" required autocomplete="off"></label>
<label>Email<input name="email" type="email" required autocomplete="off"></label>
<label>Password<input name="password" type="password" required minlength="8" autocomplete="new-password"></label>
<label>Admin<select name="admin">${options(yesNoOptions, 'no')}</select></label>
<button type="submit">Add user</button></form>`,
  );
}

export function userPage(ctx: PageContext, v: { user: AppUserRow; maintains: string[]; tokens: ApiTokenRow[]; notice?: Notice }): Html {
  const u = v.user;
  const path = userPath(u.name);
  return layout(
    ctx,
    `User ${u.name}`,
    html`${noticeOf(v.notice)}
<p><a href="/admin/users">All users</a></p>
<table><tbody>
<tr><th scope="row">Email</th><td>${u.email}</td></tr>
<tr><th scope="row">Admin</th><td>${u.admin ? 'yes' : 'no'}</td></tr>
<tr><th scope="row">Active</th><td>${u.active ? 'yes' : html`<strong>deactivated</strong>: cannot log in; their tokens are refused`}</td></tr>
<tr><th scope="row">Maintains</th><td>${v.maintains.length ? raw(v.maintains.map((p) => html`<a href="${maintainersPath(p)}">${p}</a>`).join(', ')) : html`<span class="muted">no project</span>`}</td></tr>
<tr><th scope="row">API tokens</th><td>${v.tokens.length ? raw(v.tokens.map((t) => html`${t.name} <span class="muted">${t.prefix}…${t.revokedAt ? ' (revoked)' : ''}</span>`).join(', ')) : html`<span class="muted">none</span>`}</td></tr>
<tr><th scope="row">Created</th><td>${when(u.createdAt)}</td></tr>
</tbody></table>
<h2>Change</h2>
<p class="muted">A change ends the user's dashboard sessions: they log in again with what they may do now.</p>
<form method="post" action="${path}/update" class="filters">${csrfField(ctx)}
<label>Email<input name="email" type="email" required value="${u.email}" autocomplete="off"></label>
<label>Admin<select name="admin">${options(yesNoOptions, u.admin ? 'yes' : 'no')}</select></label>
<button type="submit">Save</button></form>
<form method="post" action="${path}/password" class="filters">${csrfField(ctx)}
<label>New password<input name="password" type="password" required minlength="8" autocomplete="new-password"></label>
<button type="submit">Set password</button></form>
<div class="actions">
${u.active ? postButton(ctx, `${path}/active`, 'Deactivate', { active: 'no' }) : postButton(ctx, `${path}/active`, 'Activate', { active: 'yes' })}
${postButton(ctx, `${path}/remove`, 'Remove user, their tokens and maintainerships')}
</div>`,
  );
}

export function projectsPage(ctx: PageContext, v: { projects: Array<{ project: MailProjectRow; maintainers: string[] }> }): Html {
  return layout(
    ctx,
    'Projects and maintainers',
    html`<p class="muted">A project's maintainers (and admins) change its patches' state and delegate them.</p>
${v.projects.length ? html`<table><thead><tr><th>Project</th><th>List</th><th>Maintainers</th></tr></thead><tbody>
${raw(v.projects.map(({ project: p, maintainers }) => html`<tr><td><a href="${maintainersPath(p.linkName)}">${p.name}</a></td><td class="muted">${p.listId}</td><td>${maintainers.length ? maintainers.join(', ') : html`<span class="muted">none</span>`}</td></tr>`).join(''))}
</tbody></table>` : html`<p class="muted">No mailing-list projects.</p>`}`,
  );
}

export function maintainersPage(ctx: PageContext, v: { project: MailProjectRow; maintainers: string[]; users: AppUserRow[]; notice?: Notice }): Html {
  const path = maintainersPath(v.project.linkName);
  const candidates = v.users.filter((u) => !v.maintainers.includes(u.name));
  return layout(
    ctx,
    `Maintainers of ${v.project.name}`,
    html`${noticeOf(v.notice)}
<p><a href="/admin/projects">All projects</a> · <a href="/project/${encodeURIComponent(v.project.linkName)}/list/">its patches</a></p>
${v.maintainers.length ? html`<table><thead><tr><th>Maintainer</th><th><span class="visually-hidden">Action</span></th></tr></thead><tbody>
${raw(v.maintainers.map((name) => html`<tr><td><a href="${userPath(name)}">${name}</a></td><td>${postButton(ctx, `${path}/remove`, 'Remove', { user: name }, `Remove ${name}`)}</td></tr>`).join(''))}
</tbody></table>` : html`<p class="muted">No maintainers: only admins change this project's patches.</p>`}
<h2>Add a maintainer</h2>
${candidates.length ? html`<form method="post" action="${path}" class="filters">${csrfField(ctx)}
<label>User<select name="user">${options(candidates.map((u) => [u.name, `${u.name} <${u.email}>`] as const), undefined)}</select></label>
<button type="submit">Add maintainer</button></form>` : html`<p class="muted">Every user maintains it already, or there are none: <a href="/admin/users">add a user</a>.</p>`}`,
  );
}

function scopeList(scopes: readonly string[]): string {
  return scopes.join(', ');
}

export function tokensPage(ctx: PageContext, v: { tokens: ApiTokenRow[]; users: AppUserRow[]; notice?: Notice }): Html {
  const owners = new Map(v.users.map((u) => [u.id, u.name]));
  const ownerOf = (t: ApiTokenRow) => (t.userId === null ? html`<span class="muted">the service</span>` : html`<a href="${userPath(owners.get(t.userId) ?? '')}">${owners.get(t.userId) ?? `#${t.userId}`}</a>`);
  return layout(
    ctx,
    'API tokens',
    html`${noticeOf(v.notice)}
<p class="muted">Tokens for the API, the CLI and the dashboard's login. A token is shown once, when it is made; only its first characters are kept in the clear. Revoking one also ends the dashboard sessions that logged in with it.</p>
${v.tokens.length ? html`<table><thead><tr><th>Name</th><th>Starts with</th><th>Scopes</th><th>Acts as</th><th>Created</th><th>Last used</th><th>State</th></tr></thead><tbody>
${raw(
  v.tokens
    .map(
      (t) =>
        html`<tr><td>${t.name}</td><td><code>${t.prefix}…</code></td><td>${scopeList(t.scopes)}</td><td>${ownerOf(t)}</td><td>${when(t.createdAt)}</td><td>${when(t.lastUsedAt)}</td><td>${t.revokedAt ? html`revoked ${when(t.revokedAt)}` : postButton(ctx, `/admin/tokens/${t.id}/revoke`, 'Revoke', {}, `Revoke ${t.name}`)}</td></tr>`,
    )
    .join(''),
)}
</tbody></table>` : html`<p class="muted">No API tokens yet.</p>`}
<h2>Create a token</h2>
<form method="post" action="/admin/tokens" class="stacked">${csrfField(ctx)}
<p><label>Name<input name="name" required maxlength="100" autocomplete="off"></label></p>
<fieldset><legend>Scopes</legend>
${raw(SCOPES.map((s) => html`<p><label class="check"><span><input type="checkbox" name="scope" value="${s}"> <strong>${s}</strong></span><span>${SCOPE_DESCRIPTIONS[s]}</span></label></p>`).join(''))}
</fieldset>
<p><label>Acts as<select name="user">${options([['', 'the service (no user)'] as const, ...v.users.filter((u) => u.active).map((u) => [u.name, u.name] as const)], '')}</select></label></p>
<p><button type="submit">Create token</button></p></form>`,
  );
}

/** The one page that shows a new token's secret: it is not stored, so it cannot be shown again. */
export function tokenCreatedPage(ctx: PageContext, v: { row: ApiTokenRow; token: string; owner?: string }): Html {
  return layout(
    ctx,
    `Token ${v.row.name} created`,
    html`<p class="notice" role="status">Copy the token now: it is shown only this once.</p>
<p><label>Token<input class="command" readonly value="${v.token}" aria-describedby="token-facts"></label></p>
<p id="token-facts">Scopes: ${scopeList(v.row.scopes)}; acts as ${v.owner ?? 'the service'}.</p>
<p><a href="/admin/tokens">Back to the tokens</a></p>`,
  );
}
