/**
 * One change applied to many patches (a whole series, or the patches ticked on a list), patch by patch
 * through the one update rule, as Patchwork's bulk action does: each patch is its own transaction, so a
 * patch the rule refuses (a state not of its project, a patch the actor may not change) is reported with
 * its reason while the others are applied. All-or-nothing would make a mixed selection (some patches the
 * actor may change, some not) impossible to act on, and Patchwork's users expect the per-patch answer.
 */
import type { Database } from '../db/client.js';
import { AppError, invalidInput } from '../errors.js';
import { type PatchEditor, updatePatch, type PatchChange } from './patch-update.js';

/** More than a page of the list (50) or a long series; a bigger selection is a request to split. */
export const MAX_BULK_PATCHES = 500;

export interface BulkFailure {
  patchId: number;
  code: string;
  message: string;
}

export interface BulkOutcome {
  updated: number[];
  failed: BulkFailure[];
}

export function isEmptyChange(change: PatchChange): boolean {
  return Object.values(change).every((v) => v === undefined);
}

export async function updatePatches(db: Database, patchIds: readonly number[], change: PatchChange, actor: string | null, editor?: PatchEditor): Promise<BulkOutcome> {
  const ids = [...new Set(patchIds)];
  if (ids.length === 0) throw invalidInput('patch', 'select at least one patch');
  if (ids.length > MAX_BULK_PATCHES) throw invalidInput('patch', `at most ${MAX_BULK_PATCHES} patches at once (${ids.length} selected)`);
  if (isEmptyChange(change)) throw invalidInput('state', 'choose a state, a delegate or an archived setting to apply');
  const outcome: BulkOutcome = { updated: [], failed: [] };
  for (const id of ids) {
    try {
      await updatePatch(db, id, change, actor, editor);
      outcome.updated.push(id);
    } catch (err) {
      // a refusal of this patch is its line in the report; anything else is the service's failure
      if (!(err instanceof AppError)) throw err;
      outcome.failed.push({ patchId: id, code: err.code, message: err.message });
    }
  }
  return outcome;
}
