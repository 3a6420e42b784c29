/**
 * Maintainer changes to a stored patch (state, delegate, archived), each recorded as Patchwork's event
 * (patch-state-changed, patch-delegated) in the same transaction. For the Patchwork-compatible API.
 */
import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { mailEvent, mailPatch, mailPerson, mailProjectDelegate, mailState, type MailPatchRow } from '../../db/schema/mail.js';
import { AppError } from '../../errors.js';

export interface PatchChange {
  /** a state slug or name of the patch's project */
  state?: string;
  /** the delegate's email (a delegate of the project), or null to clear */
  delegate?: string | null;
  archived?: boolean;
}

/** Apply the change; returns the updated patch. Throws AppError naming the field for an unknown state or delegate. */
export async function updatePatch(db: Database, patchId: number, change: PatchChange, actor: string | null = null): Promise<MailPatchRow> {
  return db.transaction(async (tx) => {
    const [patch] = await tx.select().from(mailPatch).where(eq(mailPatch.id, patchId)).for('update');
    if (!patch) throw new AppError('not_found', `no patch ${patchId}`);
    const set: Partial<MailPatchRow> = {};
    const events: Array<typeof mailEvent.$inferInsert> = [];
    const base = { projectId: patch.projectId, patchId: patch.id, seriesId: patch.seriesId, actor };

    if (change.state !== undefined) {
      const states = await tx.select().from(mailState).where(eq(mailState.projectId, patch.projectId));
      const wanted = change.state.trim().toLowerCase();
      const state = states.find((s) => s.slug === wanted || s.name.toLowerCase() === wanted);
      if (!state) {
        throw new AppError('invalid_state', `"${change.state}" is not a state of this project (one of: ${states.map((s) => s.slug).join(', ')})`, { field: 'state' });
      }
      if (state.slug !== patch.state) {
        set.state = state.slug;
        events.push({ ...base, category: 'patch-state-changed', payload: { previous: patch.state, current: state.slug } });
      }
    }
    if (change.delegate !== undefined) {
      let delegateId: number | null = null;
      if (change.delegate !== null) {
        const [row] = await tx
          .select({ id: mailPerson.id })
          .from(mailProjectDelegate)
          .innerJoin(mailPerson, eq(mailPerson.id, mailProjectDelegate.personId))
          .where(and(eq(mailProjectDelegate.projectId, patch.projectId), eq(mailPerson.email, change.delegate.trim().toLowerCase())));
        if (!row) throw new AppError('invalid_delegate', `${change.delegate} is not a delegate of this project`, { field: 'delegate' });
        delegateId = row.id;
      }
      if (delegateId !== patch.delegateId) {
        set.delegateId = delegateId;
        events.push({ ...base, category: 'patch-delegated', payload: { previous: patch.delegateId, current: delegateId } });
      }
    }
    if (change.archived !== undefined && change.archived !== patch.archived) set.archived = change.archived;
    if (!Object.keys(set).length) return patch;
    const [updated] = await tx.update(mailPatch).set(set).where(eq(mailPatch.id, patchId)).returning();
    if (events.length) await tx.insert(mailEvent).values(events);
    return updated!;
  });
}
