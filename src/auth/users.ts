/**
 * Users besides the settings' USER: name, email, bcrypt password hash, admin flag; and the maintainers of
 * mailing-list projects. The settings' USER stays an admin and is not a row here (its name is reserved).
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { appUser, projectMaintainer, type AppUserRow } from '../db/schema/index.js';
import { mailProject } from '../db/schema/mail.js';
import { AppError } from '../errors.js';
import { hashPassword } from './passwords.js';

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

export interface NewUser {
  name: string;
  email: string;
  password: string;
  admin?: boolean;
}

function checkPassword(password: string): void {
  if (password.length < 8 || password.length > 200) throw new AppError('invalid_user', 'password: must be 8 to 200 characters long', { field: 'password' });
}

/** Refuses a bad name or email; `reserved` is the settings' admin name, which cannot be a user row. */
function checkUser(u: { name: string; email: string }, reserved?: string): void {
  if (!USER_NAME.test(u.name)) throw new AppError('invalid_user', `name "${u.name.slice(0, 70)}": 1-64 letters, digits, '.', '_', '@', '+' or '-'`, { field: 'name' });
  if (reserved !== undefined && u.name === reserved) throw new AppError('user_exists', `"${u.name}" is the admin of the settings (USER)`, { field: 'name' });
  if (!EMAIL.test(u.email) || u.email.length > 254) throw new AppError('invalid_user', `email "${u.email.slice(0, 70)}" is not an email address`, { field: 'email' });
}

export async function createUser(db: Database, input: NewUser, reserved?: string): Promise<AppUserRow> {
  checkUser(input, reserved);
  checkPassword(input.password);
  const passwordHash = await hashPassword(input.password);
  const [row] = await db
    .insert(appUser)
    .values({ name: input.name, email: input.email.toLowerCase(), passwordHash, admin: input.admin ?? false })
    .onConflictDoNothing()
    .returning();
  if (!row) throw new AppError('user_exists', `a user named "${input.name}" exists`, { field: 'name' });
  return row;
}

export async function listUsers(db: Database): Promise<AppUserRow[]> {
  return db.select().from(appUser).orderBy(asc(appUser.id));
}

export async function findUserByName(db: Database, name: string): Promise<AppUserRow | undefined> {
  const [row] = await db.select().from(appUser).where(eq(appUser.name, name));
  return row;
}

export async function findUserById(db: Database, id: number): Promise<AppUserRow | undefined> {
  const [row] = await db.select().from(appUser).where(eq(appUser.id, id));
  return row;
}

async function existingUser(db: Database, name: string): Promise<AppUserRow> {
  const row = await findUserByName(db, name);
  if (!row) throw new AppError('not_found', `no user "${name.slice(0, 70)}"`, { field: 'name' });
  return row;
}

/** Removes a user, their tokens and their maintainerships. */
export async function removeUser(db: Database, name: string): Promise<void> {
  const row = await existingUser(db, name);
  await db.delete(appUser).where(eq(appUser.id, row.id));
}

/** A change to what a user's logins prove or may do: the stamp moves on, which ends their dashboard sessions (auth/sessions.ts). */
const bumpStamp = { stamp: sql`${appUser.stamp} + 1` };

export async function setUserPassword(db: Database, name: string, password: string): Promise<void> {
  const row = await existingUser(db, name);
  checkPassword(password);
  await db
    .update(appUser)
    .set({ passwordHash: await hashPassword(password), ...bumpStamp })
    .where(eq(appUser.id, row.id));
}

export interface UserChange {
  email?: string;
  admin?: boolean;
  /** false deactivates: no login, no working token, no session; true lets them in again */
  active?: boolean;
}

/** Changes a user's email, admin flag or whether they may log in; the changed row. */
export async function updateUser(db: Database, name: string, change: UserChange): Promise<AppUserRow> {
  const row = await existingUser(db, name);
  const email = change.email?.trim().toLowerCase();
  if (email !== undefined) checkUser({ name: row.name, email });
  const values = { ...(email !== undefined ? { email } : {}), ...(change.admin !== undefined ? { admin: change.admin } : {}), ...(change.active !== undefined ? { active: change.active } : {}) };
  if (!Object.keys(values).length) throw new AppError('invalid_user', 'nothing to change: give an email, the admin flag or active', { field: 'email' });
  const [updated] = await db
    .update(appUser)
    .set({ ...values, ...bumpStamp })
    .where(eq(appUser.id, row.id))
    .returning();
  return updated!;
}

async function projectId(db: Database, linkName: string): Promise<number> {
  const [row] = await db.select({ id: mailProject.id }).from(mailProject).where(eq(mailProject.linkName, linkName));
  if (!row) throw new AppError('not_found', `no project "${linkName.slice(0, 70)}"`, { field: 'project' });
  return row.id;
}

export async function addMaintainer(db: Database, project: string, userName: string): Promise<void> {
  const [pid, user] = await Promise.all([projectId(db, project), existingUser(db, userName)]);
  await db.insert(projectMaintainer).values({ projectId: pid, userId: user.id }).onConflictDoNothing();
}

export async function removeMaintainer(db: Database, project: string, userName: string): Promise<boolean> {
  const [pid, user] = await Promise.all([projectId(db, project), existingUser(db, userName)]);
  const rows = await db
    .delete(projectMaintainer)
    .where(and(eq(projectMaintainer.projectId, pid), eq(projectMaintainer.userId, user.id)))
    .returning({ userId: projectMaintainer.userId });
  return rows.length > 0;
}

/** The link names of the projects a user maintains. */
export async function maintainedProjects(db: Database, userId: number): Promise<string[]> {
  const rows = await db
    .select({ linkName: mailProject.linkName })
    .from(projectMaintainer)
    .innerJoin(mailProject, eq(mailProject.id, projectMaintainer.projectId))
    .where(eq(projectMaintainer.userId, userId))
    .orderBy(sql`1`);
  return rows.map((r) => r.linkName);
}

/** The user names of a project's maintainers. */
export async function projectMaintainers(db: Database, linkName: string): Promise<string[]> {
  const pid = await projectId(db, linkName);
  const rows = await db
    .select({ name: appUser.name })
    .from(projectMaintainer)
    .innerJoin(appUser, eq(appUser.id, projectMaintainer.userId))
    .where(eq(projectMaintainer.projectId, pid))
    .orderBy(asc(appUser.name));
  return rows.map((r) => r.name);
}
