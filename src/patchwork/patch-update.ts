/**
 * The maintainer's change to a patch (state, delegate, archived, commit, pull URL): the one rule the
 * Patchwork API and any other presentation call. State and delegate changes are recorded as Patchwork's
 * events (patch-state-changed, patch-delegated) in the same transaction, with the actor.
 */
import { and, eq, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { mailEvent, mailPatch, mailState, type MailPatchRow } from '../db/schema/mail.js';
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

/** Applies the change and returns the patch as stored; not_found for an unknown patch, invalid_request naming the field. */
export async function updatePatch(db: Database, patchId: number, change: PatchChange, actor: string | null = null): Promise<MailPatchRow> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(mailPatch).where(eq(mailPatch.id, patchId)).for('update');
    if (!row) throw new AppError('not_found', `patch ${patchId} not found`);
    const set: Partial<MailPatchRow> = {};
    const events: Array<typeof mailEvent.$inferInsert> = [];
    const base = { projectId: row.projectId, patchId, seriesId: row.seriesId, actor };

    if (change.state !== undefined) {
      const name = change.state.trim();
      const [state] = await tx
        .select()
        .from(mailState)
        .where(and(eq(mailState.projectId, row.projectId), or(eq(mailState.slug, stateSlug(name)), sql`lower(${mailState.name}) = lower(${name})`)));
      if (!state) throw invalidInput('state', `"${change.state}" is not a state of this project`);
      if (state.slug !== row.state) {
        set.state = state.slug;
        events.push({ ...base, category: 'patch-state-changed', payload: { previous: row.state, current: state.slug } });
      }
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
