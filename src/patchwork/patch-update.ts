/**
 * The maintainer's change to a patch (state, delegate, archived, commit, pull URL): the one rule the
 * Patchwork API and any other presentation call. State and delegate changes are recorded as Patchwork's
 * events (patch-state-changed, patch-delegated) in the same transaction, with the actor.
 *
 * Who may change a patch (Patchwork's Patch.is_editable): admins, the project's maintainers and the
 * patch's delegate; the submitter (a user whose email is the patch's submitter's) only its state, and only
 * to one of SUBMITTER_STATES (withdrawing their own work, as the issue asked; Patchwork itself lets a
 * submitter change everything).
 */
import { and, eq, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import type { Access } from '../auth/authenticator.js';
import { projectMaintainer } from '../db/schema/auth.js';
import { mailEvent, mailPatch, mailPerson, mailProject, mailState, type MailPatchRow } from '../db/schema/mail.js';
import { AppError, invalidInput } from '../errors.js';
import { stateSlug } from './patches.js';
import { findPersonId } from './people.js';

export interface PatchChange {
  /** a state of the patch's project, by slug or name (any case) */
  state?: string;
  /** a person by id or address; null or '' clears the delegate */
  delegate?: number | string | null;
  archived?: boolean;
  /** '' or null clears */
  commitRef?: string | null;
  /** '' or null clears */
  pullUrl?: string | null;
}

/** Who asks for a change. `user` absent: the settings' admin or a token of no user, who may change anything. */
export type PatchEditor = Pick<Access, 'user'>;

/** An editor who is no one: maintains nothing, submitted nothing (what a caller without a login passes). */
export const NOBODY: PatchEditor = { user: { id: -1, name: '', email: '', admin: false } };

/** The states a submitter may put their own patch in. */
export const SUBMITTER_STATES: readonly string[] = ['rfc', 'not-applicable', 'superseded'];

/** What the editor is to this patch. */
export interface PatchRole {
  admin: boolean;
  maintainer: boolean;
  delegate: boolean;
  submitter: boolean;
}

/** The permission rule: null when allowed, else why not (the one copy every write path calls). */
export function patchChangeRefusal(role: PatchRole, change: PatchChange, newState: string | undefined, project: string): string | null {
  if (role.admin || role.maintainer || role.delegate) return null;
  const others = change.delegate !== undefined || change.archived !== undefined || change.commitRef !== undefined || change.pullUrl !== undefined;
  if (role.submitter && !others && (newState === undefined || SUBMITTER_STATES.includes(newState))) return null;
  if (role.submitter) return `as its submitter you may only set this patch's state to ${SUBMITTER_STATES.join(', ')}; other changes are for the maintainers of ${project}`;
  return `only the maintainers of ${project}, the patch's delegate and admins may change this patch`;
}

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

async function roleOf(tx: Tx, row: MailPatchRow, editor: PatchEditor): Promise<PatchRole> {
  const user = editor.user;
  if (!user || user.admin) return { admin: true, maintainer: false, delegate: false, submitter: false };
  const [maintainer] = await tx
    .select({ userId: projectMaintainer.userId })
    .from(projectMaintainer)
    .where(and(eq(projectMaintainer.projectId, row.projectId), eq(projectMaintainer.userId, user.id)));
  const people = await tx
    .select({ id: mailPerson.id })
    .from(mailPerson)
    .where(sql`lower(${mailPerson.email}) = lower(${user.email})`);
  const mine = new Set(people.map((p) => p.id));
  return { admin: false, maintainer: Boolean(maintainer), delegate: row.delegateId !== null && mine.has(row.delegateId), submitter: mine.has(row.submitterId) };
}

/**
 * Applies the change and returns the patch as stored; not_found for an unknown patch, invalid_request naming
 * the field, patch_forbidden when `editor` may not make it (no editor: a trusted caller, e.g. the lifecycle).
 */
export async function updatePatch(db: Database, patchId: number, change: PatchChange, actor: string | null = null, editor?: PatchEditor): Promise<MailPatchRow> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(mailPatch).where(eq(mailPatch.id, patchId)).for('update');
    if (!row) throw new AppError('not_found', `patch ${patchId} not found`);
    const role = editor ? await roleOf(tx, row, editor) : undefined;
    const set: Partial<MailPatchRow> = {};
    const events: Array<typeof mailEvent.$inferInsert> = [];
    const base = { projectId: row.projectId, patchId, seriesId: row.seriesId, actor };

    let newState: string | undefined;
    if (change.state !== undefined) {
      const name = change.state.trim();
      const [state] = await tx
        .select()
        .from(mailState)
        .where(and(eq(mailState.projectId, row.projectId), or(eq(mailState.slug, stateSlug(name)), sql`lower(${mailState.name}) = lower(${name})`)));
      if (!state) throw invalidInput('state', `"${change.state}" is not a state of this project`);
      newState = state.slug;
      if (state.slug !== row.state) {
        set.state = state.slug;
        events.push({ ...base, category: 'patch-state-changed', payload: { previous: row.state, current: state.slug } });
      }
    }
    if (role) {
      const refusal = patchChangeRefusal(role, change, newState, await projectName(tx, row.projectId));
      if (refusal) throw new AppError('patch_forbidden', refusal);
    }
    if (change.delegate !== undefined) {
      let delegateId: number | null = null;
      if (change.delegate !== null && change.delegate !== '') {
        const ref = String(change.delegate);
        const id = await findPersonId(tx, ref);
        if (id === undefined) throw invalidInput('delegate', `no user "${ref}"`);
        delegateId = id;
      }
      if (delegateId !== row.delegateId) {
        set.delegateId = delegateId;
        events.push({ ...base, category: 'patch-delegated', payload: { previous: row.delegateId, current: delegateId } });
      }
    }
    if (change.archived !== undefined) set.archived = change.archived;
    if (change.commitRef !== undefined) set.commitRef = change.commitRef || null;
    if (change.pullUrl !== undefined) set.pullUrl = change.pullUrl || null;
    if (!Object.keys(set).length) return row;
    const [updated] = await tx.update(mailPatch).set(set).where(eq(mailPatch.id, patchId)).returning();
    if (events.length) await tx.insert(mailEvent).values(events);
    return updated!;
  });
}

async function projectName(tx: Tx, projectId: number): Promise<string> {
  const [p] = await tx.select({ linkName: mailProject.linkName }).from(mailProject).where(eq(mailProject.id, projectId));
  return p?.linkName ?? `project ${projectId}`;
}
