import { parsePatch } from 'diff';
import { AppError, errorMessage } from '../errors.js';
import type { FileWrite } from '../forges/types.js';
import { chooseSpecFile, editSpec, type SpecEditMode } from './spec.js';

/** What a patch file is made from; UpstreamCommit (and GitCommit, which knows `empty`) fit. */
export interface PatchCommit {
  sha: string;
  subject: string;
  /** `git format-patch` mail text */
  patch: string;
  /** the commit changes no file (its patch has headers but no diff) */
  empty?: boolean;
}

export interface PatchFile {
  sha: string;
  subject: string;
  /** the file name, as a spec's `PatchNNNN:` line names it */
  name: string;
  /** path in the target repository (`<PATCH_DIR>/<name>` or `<name>`) */
  path: string;
}

export interface PatchSet {
  /** one per non-empty commit, oldest first */
  patches: PatchFile[];
  /** the same, as the forge wants them */
  files: FileWrite[];
  /** commits that change nothing: no patch file (GNU patch rejects a diff-less file), listed for the issue */
  skippedEmpty: PatchCommit[];
}

/** `<full sha>.patch`: the name the old program used and existing spec files refer to. */
export function patchFileName(commit: { sha: string }): string {
  return `${commit.sha}.patch`;
}

/**
 * Checks a patch before it is published: it must parse with the `diff` package and, unless the commit
 * is empty, hold at least one file diff. Returns the number of file diffs.
 */
export function validatePatch(commit: PatchCommit): number {
  const fail = (why: string): never => {
    throw new AppError('invalid_patch', `the patch of upstream commit ${commit.sha} (${JSON.stringify(commit.subject)}) ${why}`);
  };
  const from = /^From ([0-9a-f]{40,64}) /.exec(commit.patch)?.[1];
  if (from !== undefined && from !== commit.sha) fail(`is the patch of another commit (${from})`);
  if (commit.empty) return 0;
  const diff = diffPart(commit.patch);
  if (diff === null) fail('contains no diff');
  let fileCount = 0;
  try {
    fileCount = countFileDiffs(diff!);
  } catch (e) {
    fail(`does not parse as a diff: ${errorMessage(e)}`);
  }
  if (fileCount === 0) fail('contains no file diff');
  return fileCount;
}

/** Validates every patch, then lays them out as files (under PATCH_DIR when given), oldest first. */
export function buildPatchFiles(commits: PatchCommit[], options: { patchDir?: string } = {}): PatchSet {
  const dir = normalizePatchDir(options.patchDir);
  const patches: PatchFile[] = [];
  const skippedEmpty: PatchCommit[] = [];
  const seen = new Set<string>();
  for (const commit of commits) {
    validatePatch(commit);
    if (commit.empty) {
      skippedEmpty.push(commit);
      continue;
    }
    if (seen.has(commit.sha)) {
      throw new AppError('duplicate_commit', `upstream commit ${commit.sha} appears twice in the range`);
    }
    seen.add(commit.sha);
    const name = patchFileName(commit);
    patches.push({ sha: commit.sha, subject: commit.subject, name, path: dir ? `${dir}/${name}` : name });
  }
  const bySha = new Map(commits.map((c) => [c.sha, c.patch]));
  return { patches, files: patches.map((p) => ({ path: p.path, content: bySha.get(p.sha)! })), skippedEmpty };
}

/**
 * PATCH_DIR as a clean relative path inside the target repository, or undefined for the top level.
 * Note: rpm finds Patch files by base name in SOURCES, so patches referenced by a spec belong at the top.
 */
export function normalizePatchDir(value: string | undefined, field = 'PATCH_DIR'): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim().replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (trimmed === '' || trimmed === '.') return undefined;
  const segments = trimmed.split('/');
  if (
    trimmed.startsWith('/') ||
    trimmed.includes('\\') ||
    segments.some((s) => s === '' || s === '.' || s === '..' || /[\x00-\x1f\x7f]/.test(s))
  ) {
    throw new AppError('invalid_setting', `${field} must be a relative directory inside the repository (got ${JSON.stringify(value)})`, {
      field,
    });
  }
  return trimmed;
}

/**
 * The diff of a mail-format patch: from where `git am` would start reading it (the first `---`,
 * `diff -` or `Index: ` line). Null when there is none.
 */
function diffPart(patch: string): string | null {
  const start = /^(?:---[ \t\r]*$|diff -|Index: )/m.exec(patch);
  return start ? patch.slice(start.index) : null;
}

/**
 * The `diff` package reads format-patch's signature (`-- `, then one line: the git version) as a stray
 * hunk line, so it is cut first. Only a `-- ` followed by exactly one line and the end of the text is a
 * signature; a removed `- ` line (also `-- `) always has the signature after it.
 */
function countFileDiffs(diff: string): number {
  const signature = /\n--[ ]?\r?\n[^\n]+\n*$/.exec(diff);
  return fileDiffs(signature ? diff.slice(0, signature.index + 1) : diff);
}

function fileDiffs(text: string): number {
  return parsePatch(text).filter((f) => f.oldFileName !== undefined || f.newFileName !== undefined || f.hunks.length > 0)
    .length;
}

// The plan of a publication: the patch files above plus the spec edit, as the files one PR commits.

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
  files: FileWrite[];
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
