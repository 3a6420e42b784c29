import type { FileChange } from '../forges/types.js';
import { buildPatchFiles, type PatchCommit, type PatchFile } from './format.js';
import { chooseSpecFile, editSpec, type SpecEditMode } from './spec.js';

export interface PublicationInput {
  /** the range, oldest first */
  commits: PatchCommit[];
  /** target repository name (for `<name>.spec`) and the file names at the top of its target branch */
  repoName: string;
  topLevelFiles: string[];
  /** the spec's text on the target branch, or null when it cannot be read */
  readSpec: (path: string) => Promise<string | null>;
  specEdit: SpecEditMode;
  /** PATCH_DIR: where patch files go when no spec is edited */
  patchDir?: string;
  packager: { name: string; email: string };
  now: Date;
}

export type SpecOutcome =
  | { kind: 'edited'; path: string; warnings: string[]; patchNumbers: number[] }
  | { kind: 'missing'; reason: string }
  | { kind: 'off' };

export interface Publication {
  /** everything to commit on the temp branch: patch files, then the spec */
  files: FileChange[];
  patches: PatchFile[];
  /** commits that change nothing and got no file */
  skippedEmpty: PatchCommit[];
  spec: SpecOutcome;
  /** sentences for the issue body: what the maintainer should know or check */
  notes: string[];
}

/**
 * Decides what one range publishes: the patch files and the edited spec. A spec found is edited and
 * the patches sit next to it (rpm looks Patch files up by base name in SOURCES); with no spec, or
 * SPEC_EDIT=off, the patches go to PATCH_DIR and the issue says so. A spec is never created.
 */
export async function planPublication(input: PublicationInput): Promise<Publication> {
  const choice = chooseSpecFile(input.repoName, input.topLevelFiles, input.specEdit);
  const specText = choice.kind === 'edit' ? await input.readSpec(choice.path) : null;
  const editing = choice.kind === 'edit' && specText !== null;
  const set = buildPatchFiles(input.commits, { patchDir: editing ? undefined : input.patchDir });
  const notes: string[] = [];
  if (set.skippedEmpty.length > 0) {
    notes.push(
      `${set.skippedEmpty.length} upstream commit(s) change no file and have no patch file: ` +
        set.skippedEmpty.map((c) => c.sha.slice(0, 7)).join(', '),
    );
  }

  let spec: SpecOutcome;
  const files = [...set.files];
  if (choice.kind === 'off') {
    spec = { kind: 'off' };
    notes.push('Spec editing is off (SPEC_EDIT=off): add the patches to the spec file by hand.');
  } else if (!editing) {
    const reason = choice.kind === 'missing' ? choice.reason : `${choice.path} could not be read`;
    spec = { kind: 'missing', reason };
    notes.push(`No spec file was edited: ${reason}. The patch files are published as they are.`);
  } else if (set.patches.length === 0) {
    spec = { kind: 'edited', path: choice.path, warnings: [], patchNumbers: [] };
  } else {
    const result = editSpec({
      spec: specText!,
      patchFiles: set.patches.map((p) => p.name),
      commits: set.patches,
      packager: input.packager,
      now: input.now,
    });
    spec = { kind: 'edited', path: choice.path, warnings: result.warnings, patchNumbers: result.patchNumbers };
    for (const w of result.warnings) notes.push(`${choice.path}: ${w}.`);
    if (result.content !== specText) files.push({ path: choice.path, content: result.content });
  }
  return { files, patches: set.patches, skippedEmpty: set.skippedEmpty, spec, notes };
}
