/** `update`, `enable`, `disable`: change an existing tracking (found by repo and branch) with PATCH /api/v1. */
import { commitSha, trackingPatchSchema } from '../../../src/input.js';
import { connect, type RunContext } from '../context.js';
import { usageError } from '../errors.js';
import { readFields, TRACKING_FIELDS, type ConnectionFlags } from '../options.js';
import { normalizeItem } from '../tracking-files.js';
import { flagIssue } from './add.js';

export async function updateAction(context: RunContext, options: Record<string, unknown> & ConnectionFlags & { json?: boolean }) {
  const fields = readFields(options, TRACKING_FIELDS);
  const { repo, branch, ...changes } = fields;
  if (typeof repo !== 'string' || typeof branch !== 'string') throw usageError('update: --repo and --branch name the tracking to change');
  if (Object.keys(changes).length === 0) throw usageError('update: nothing to change (give --version_control, --scm_repo, --scm_branch, --scm_commit or --enabled)');
  const parsed = trackingPatchSchema.safeParse(normalizeItem(changes));
  if (!parsed.success) throw usageError(parsed.error.issues.map(flagIssue).join('; '));
  const patch = parsed.data;

  const api = await connect(context, options, 'required');
  const current = await api.findTracking(repo, branch);
  const kind = patch.version_control ?? current.version_control;
  if (kind !== 'mail' && typeof patch.scm_commit === 'string' && !commitSha.safeParse(patch.scm_commit).success) {
    throw usageError('--scm_commit: expected a hexadecimal commit id (7 to 64 characters), or null');
  }
  const changed = await api.patchTracking(current.id, patch);
  if (options.json) {
    context.io.stdout.write(`${JSON.stringify(changed, null, 2)}\n`);
    return;
  }
  const diffs = Object.keys(patch)
    .map((key) => [key, current[key], changed[key]] as const)
    .filter(([, before, after]) => before !== after)
    .map(([key, before, after]) => `${key}: ${String(before)} → ${String(after)}`);
  context.io.stdout.write(`${diffs.length ? 'updated' : 'unchanged'}: ${repo} ${branch}${diffs.length ? ` (${diffs.join(', ')})` : ''}\n`);
}

export async function enableAction(context: RunContext, options: ConnectionFlags & { repo: string; branch: string }, enabled: boolean) {
  const api = await connect(context, options, 'required');
  const current = await api.findTracking(options.repo, options.branch);
  const word = enabled ? 'enabled' : 'disabled';
  if (current.enabled === enabled) {
    context.io.stdout.write(`already ${word}: ${current.repo} ${current.branch}\n`);
    return;
  }
  await api.patchTracking(current.id, { enabled });
  context.io.stdout.write(`${word}: ${current.repo} ${current.branch}\n`);
}
