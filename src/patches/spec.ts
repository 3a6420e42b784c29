import { AppError } from '../errors.js';
import { SpecLines, type SectionRange, type SpecStructure } from './spec-lines.js';

/** SPEC_EDIT: 'auto' edits the package's spec, 'off' publishes patch files only. */
export type SpecEditMode = 'auto' | 'off';

export type SpecChoice = { kind: 'edit'; path: string } | { kind: 'missing'; reason: string } | { kind: 'off' };

/**
 * The spec to edit, from the file names at the top of the target branch: `<repo name>.spec`, else the
 * only `*.spec`. Never invents one: no spec (or several, none named after the repository) is 'missing'.
 */
export function chooseSpecFile(repoName: string, topLevelFiles: string[], mode: SpecEditMode = 'auto'): SpecChoice {
  if (mode === 'off') return { kind: 'off' };
  const specs = topLevelFiles.filter((f) => !f.includes('/') && f.endsWith('.spec'));
  if (specs.includes(`${repoName}.spec`)) return { kind: 'edit', path: `${repoName}.spec` };
  if (specs.length === 1) return { kind: 'edit', path: specs[0]! };
  if (specs.length === 0) return { kind: 'missing', reason: 'the target branch has no .spec file' };
  return {
    kind: 'missing',
    reason: `the target branch has ${specs.length} .spec files (${specs.join(', ')}) and none is named ${repoName}.spec`,
  };
}

export interface SpecEditInput {
  spec: string;
  /** patch file names, oldest first; each gets a PatchNNNN line */
  patchFiles: string[];
  /** the upstream commits, oldest first: one changelog line each */
  commits: { sha: string; subject: string }[];
  /** BOT_NAME and BOT_EMAIL */
  packager: { name: string; email: string };
  /** the changelog date; injected so tests and reruns are deterministic */
  now: Date;
}

export interface SpecEditResult {
  content: string;
  /** what a maintainer must check by hand (unbumped macro Release, unresolved Version, …) */
  warnings: string[];
  /** the numbers given to the new Patch lines, in order */
  patchNumbers: number[];
}

const FIRST_NEW_PATCH_NUMBER = 6000;
const PATCH_TAG_RE = /^(\s*)(patch)(\d*)(\s*):([ \t]*)(.*)$/i;
const SOURCE_TAG_RE = /^\s*source\d*\s*:/i;

/**
 * Adds the patches to an RPM spec the way src-openEuler packages do it (Patch tags from 6000, `%patch`
 * lines unless `%autosetup`/`%autopatch` applies them, Release bumped, a %changelog entry), changing
 * nothing else.
 */
export function editSpec(input: SpecEditInput): SpecEditResult {
  assertPackager(input.packager);
  const spec = new SpecLines(input.spec);
  const warnings: string[] = [];

  const files = newPatchFiles(spec, input.patchFiles, warnings);
  if (input.patchFiles.length > 0 && files.length === 0) return { content: input.spec, warnings, patchNumbers: [] };
  const patchNumbers = addPatchTags(spec, files);
  addPatchApplications(spec, patchNumbers, warnings);
  const release = bumpRelease(spec, warnings);
  const lines = input.commits.map((c) => `${c.sha.slice(0, 7)} ${changelogText(c.subject)}`);
  addChangelogEntry(spec, lines, input, release, warnings);
  return { content: spec.toString(), warnings, patchNumbers };
}

export interface SpecRemovalInput {
  spec: string;
  /** the Patch numbers to remove, each with the changelog line that says why */
  remove: { number: number; changelog: string }[];
  packager: { name: string; email: string };
  now: Date;
}

/**
 * Takes patches out of an RPM spec: their `PatchNNNN:` tags and the `%patch` lines that apply them, with
 * Release bumped and a %changelog entry; nothing else changes. `%autosetup`/`%autopatch` need no edit.
 */
export function removePatches(input: SpecRemovalInput): { content: string; warnings: string[] } {
  assertPackager(input.packager);
  const spec = new SpecLines(input.spec);
  const warnings: string[] = [];
  const numbers = new Set(input.remove.map((r) => r.number));
  const structure = spec.structure();
  const drop = new Set<number>();
  let auto = -1;
  for (const i of structure.find(structure.mainPreamble, PATCH_TAG_RE)) {
    const digits = PATCH_TAG_RE.exec(spec.lines[i]!.text)![3]!;
    const n = digits === '' ? auto + 1 : Number.parseInt(digits, 10);
    auto = n;
    if (!numbers.has(n)) continue;
    // rpm numbers an unnumbered tag after the one before it: removing it renumbers the ones that follow
    if (digits === '') warnings.push(`Patch${n} has no number in the spec; check that the Patch tags after it still apply the right files`);
    drop.add(i);
  }
  const prep = structure.section('prep');
  if (prep) {
    for (const i of structure.find(prep, PATCH_MACRO_RE)) {
      const text = spec.lines[i]!.text;
      const applied = patchMacroNumbers(text);
      const removed = applied.filter((n) => numbers.has(n));
      if (removed.length === 0) continue;
      if (removed.length < applied.length) warnings.push(`"${text.trim()}" applies Patch${removed.join(', Patch')} with others; edit it by hand`);
      else drop.add(i);
    }
    if (structure.find(prep, /%\{?PATCH\d+\b/).some((i) => input.remove.some((r) => new RegExp(`%\\{?PATCH${r.number}\\b`).test(spec.lines[i]!.text)))) {
      warnings.push('%prep names a removed patch with %{PATCHn}; remove that command by hand');
    }
  }
  for (const i of [...drop].sort((a, b) => b - a)) spec.lines.splice(i, 1);
  const release = bumpRelease(spec, warnings);
  addChangelogEntry(spec, input.remove.map((r) => changelogText(r.changelog)), input, release, warnings);
  return { content: spec.toString(), warnings };
}

/** The Patch numbers a `%patch` line applies: %patch3, %patch 3, %patch -P 3 (-P may repeat), bare %patch = 0. */
function patchMacroNumbers(text: string): number[] {
  const m = PATCH_MACRO_RE.exec(text)!;
  if (m[2] !== '') return [Number(m[2])];
  const numbers = [...m[3]!.matchAll(/-P\s*(\d+)/g)].map((p) => Number(p[1]));
  const positional = /^\s+(\d+)(?=\s|$)/.exec(m[3]!);
  if (positional) numbers.push(Number(positional[1]));
  return numbers.length ? numbers : [0];
}

/** The spec's Version with the macros it defines plainly resolved; null when it has none or it cannot be resolved. */
export function specVersion(content: string): string | null {
  const spec = new SpecLines(content);
  const tag = preambleTags(spec);
  const raw = tag('version');
  if (raw === undefined) return null;
  return new MacroTable(spec.lines.map((l) => l.text), { name: tag('name'), version: raw }).expand(raw);
}

/** The spec's Name, resolved like Version. */
export function specName(content: string): string | null {
  const spec = new SpecLines(content);
  const raw = preambleTags(spec)('name');
  if (raw === undefined) return null;
  return new MacroTable(spec.lines.map((l) => l.text), {}).expand(raw);
}

/** A reader of the main preamble's tags: the raw value of the first `Name:`-style line, or undefined. */
function preambleTags(spec: SpecLines): (name: string) => string | undefined {
  const structure = spec.structure();
  return (name) => {
    const re = TAG_VALUE_RE(name);
    const i = structure.find(structure.mainPreamble, re)[0];
    return i === undefined ? undefined : re.exec(spec.lines[i]!.text)![2];
  };
}

function assertPackager(packager: { name: string; email: string }): void {
  if (!packager.name.trim() || /[<>\r\n]/.test(packager.name)) {
    throw new AppError('invalid_setting', `BOT_NAME ${JSON.stringify(packager.name)} cannot be used in a spec %changelog`, {
      field: 'BOT_NAME',
    });
  }
  if (!/^[^\s<>@]+@[^\s<>@]+$/.test(packager.email)) {
    throw new AppError('invalid_setting', `BOT_EMAIL ${JSON.stringify(packager.email)} is not an e-mail address`, {
      field: 'BOT_EMAIL',
    });
  }
}

// ── Patch tags ────────────────────────────────────────────────────────────────

/**
 * A file the spec already lists (a rerun after the earlier PR was merged by hand) must not be applied
 * twice: rpmbuild would fail on the second application.
 */
function newPatchFiles(spec: SpecLines, files: string[], warnings: string[]): string[] {
  const structure = spec.structure();
  const listed = new Map<string, string>();
  for (const i of structure.find(structure.mainPreamble, PATCH_TAG_RE)) {
    const m = PATCH_TAG_RE.exec(spec.lines[i]!.text)!;
    listed.set(basename(m[6]!.trim()), `${m[2]}${m[3]}`);
  }
  return files.filter((file) => {
    const tag = listed.get(basename(file));
    if (tag !== undefined) warnings.push(`${file} is already in the spec as ${tag}; it was not added again`);
    return tag === undefined;
  });
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function addPatchTags(spec: SpecLines, files: string[]): number[] {
  if (files.length === 0) return [];
  const structure = spec.structure();
  const preamble = structure.mainPreamble;
  const patchLines = structure.find(preamble, PATCH_TAG_RE);
  const first = Math.max(FIRST_NEW_PATCH_NUMBER, maxPatchNumber(patchLines.map((i) => spec.lines[i]!.text)) + 1);
  const numbers = files.map((_, i) => first + i);

  let anchor = patchLines.at(-1);
  if (anchor === undefined) anchor = structure.find(preamble, SOURCE_TAG_RE).at(-1);
  if (anchor === undefined) anchor = lastTag(structure, preamble, /^\s*(release|version|name)\s*:/i);
  if (anchor === undefined) {
    throw new AppError('spec_unrecognized', 'the spec file has no Name, Version, Release, Source or Patch tag; is it an RPM spec?');
  }
  const style = tagStyle(spec.lines[anchor]!.text);
  spec.insertAfter(
    structure.unconditionalAfter(anchor, preamble),
    files.map((file, i) => style(numbers[i]!, file)),
  );
  return numbers;
}

/** rpm numbers an unnumbered `Patch:` one above the previous patch (from 0), so do we. */
function maxPatchNumber(patchTexts: string[]): number {
  let auto = -1;
  let max = -1;
  for (const text of patchTexts) {
    const digits = PATCH_TAG_RE.exec(text)![3]!;
    const n = digits === '' ? auto + 1 : Number.parseInt(digits, 10);
    auto = n;
    max = Math.max(max, n);
  }
  return max;
}

function lastTag(structure: SpecStructure, range: SectionRange, re: RegExp): number | undefined {
  return structure.find(range, re).at(-1);
}

/** New Patch lines copy the tag's case and the spacing before the value (tabs, or the value column). */
function tagStyle(referenceText: string): (n: number, file: string) => string {
  const m = /^(\s*)([A-Za-z]+)\d*(\s*:)([ \t]*)/.exec(referenceText);
  const indent = m?.[1] ?? '';
  const tag = m && m[2] === m[2]!.toLowerCase() ? 'patch' : m && m[2] === m[2]!.toUpperCase() ? 'PATCH' : 'Patch';
  const separator = m?.[4] ?? ' ';
  const valueColumn = m ? m[0].length : 0;
  return (n, file) => {
    const head = `${indent}${tag}${n}:`;
    if (separator.includes('\t')) return `${head}${separator}${file}`;
    return `${head}${' '.repeat(Math.max(1, valueColumn - head.length))}${file}`;
  };
}

// ── %prep ─────────────────────────────────────────────────────────────────────

type ApplyStyle = 'numbered' | 'dash-P' | 'positional';

const PATCH_MACRO_RE = /^(\s*)%patch(?=[\s\d]|$)(\d*)(.*)$/;

function applyStyleOf(text: string): ApplyStyle {
  const m = PATCH_MACRO_RE.exec(text)!;
  if (m[2] !== '') return 'numbered';
  if (/(^|\s)-P\s*\d+/.test(m[3]!)) return 'dash-P';
  if (/^\s+\d+(\s|$)/.test(m[3]!)) return 'positional';
  return 'numbered';
}

function applyLine(indent: string, style: ApplyStyle, n: number): string {
  if (style === 'dash-P') return `${indent}%patch -P ${n} -p1`;
  if (style === 'positional') return `${indent}%patch ${n} -p1`;
  return `${indent}%patch${n} -p1`;
}

function addPatchApplications(spec: SpecLines, numbers: number[], warnings: string[]): void {
  if (numbers.length === 0) return;
  const structure = spec.structure();
  const prep = structure.section('prep');
  if (!prep) {
    warnings.push('the spec has no %prep section: the patches are listed as Patch tags but nothing applies them');
    return;
  }
  const texts = (indexes: number[]) => indexes.map((i) => spec.lines[i]!.text);
  const autosetup = texts(structure.find(prep, /^\s*%autosetup(?=\s|$)/));
  const autopatch = texts(structure.find(prep, /^\s*%autopatch(?=\s|$)/));
  if (autopatch.length > 0 || autosetup.some((t) => !/\s-N(?=\s|$)/.test(t))) {
    for (const t of autopatch) {
      const max = /\s-M\s*(\d+)/.exec(t)?.[1];
      if (max !== undefined && Number(max) < numbers.at(-1)!) {
        warnings.push(`"${t.trim()}" applies patches up to ${max} only, so the new Patch${numbers[0]}… are not applied`);
      }
    }
    return;
  }
  const applied = structure.find(prep, PATCH_MACRO_RE);
  let anchor = applied.at(-1);
  let style: ApplyStyle = 'numbered';
  let indent = '';
  if (anchor !== undefined) {
    style = applyStyleOf(spec.lines[anchor]!.text);
    indent = PATCH_MACRO_RE.exec(spec.lines[anchor]!.text)![1]!;
  } else {
    if (structure.find(prep, /%\{?(patches|PATCH\d+)\b/).length > 0) {
      warnings.push('%prep applies patches with its own commands (%{patches} or %{PATCHn}); add the new patches there by hand');
      return;
    }
    anchor = structure.find(prep, /^\s*%(setup|autosetup)(?=\s|$)/).at(-1);
    if (anchor === undefined) {
      warnings.push('could not tell where %prep applies patches (no %patch, %setup or %autosetup line); add them by hand');
      return;
    }
  }
  spec.insertAfter(
    structure.unconditionalAfter(anchor, prep),
    numbers.map((n) => applyLine(indent, style, n)),
  );
}

// ── Release ───────────────────────────────────────────────────────────────────

const TAG_VALUE_RE = (tag: string) => new RegExp(`^(\\s*${tag}\\s*:\\s*)(\\S(?:.*\\S)?)(\\s*)$`, 'i');

/** Bumps every Release tag of the main preamble (there can be one per %if branch); returns the new value. */
function bumpRelease(spec: SpecLines, warnings: string[]): string | undefined {
  const structure = spec.structure();
  const re = TAG_VALUE_RE('release');
  const lines = structure.find(structure.mainPreamble, re);
  if (lines.length === 0) {
    warnings.push('the spec has no Release tag: nothing was bumped');
    return undefined;
  }
  if (lines.length > 1) warnings.push(`the spec has ${lines.length} Release tags; each was bumped, check them`);
  let first: string | undefined;
  for (const i of lines) {
    const line = spec.lines[i]!;
    const [, head, value, tail] = re.exec(line.text)!;
    const bumped = bumpReleaseValue(value!);
    if (value === '%autorelease' || value === '%{autorelease}') {
      first ??= value; // rpmautospec counts commits: publishing one is the bump
      continue;
    }
    if (bumped === null) {
      warnings.push(`Release "${value}" is not a plain number; it was left alone: bump it by hand`);
      first ??= value!;
      continue;
    }
    line.text = `${head}${bumped}${tail}`;
    first ??= bumped;
  }
  return first;
}

/** `3`→`4`, `1.oe1`→`2.oe1`, `2%{?dist}`→`3%{?dist}`, pre-release `0.1.rc1`→`0.2.rc1`; a macro → null. */
export function bumpReleaseValue(value: string): string | null {
  const pre = /^0\.(\d+)(.*)$/.exec(value);
  if (pre) return `0.${Number(pre[1]) + 1}${pre[2]}`;
  const m = /^(\d+)(.*)$/.exec(value);
  if (!m) return null;
  return `${BigInt(m[1]!) + 1n}${m[2]}`;
}

// ── %changelog ────────────────────────────────────────────────────────────────

function addChangelogEntry(
  spec: SpecLines,
  lines: string[],
  input: Pick<SpecEditInput, 'packager' | 'now'>,
  release: string | undefined,
  warnings: string[],
): void {
  const structure = spec.structure();
  const changelog = structure.section('changelog');
  if (changelog && structure.find(changelog, /%\{?autochangelog\}?/).length > 0) {
    warnings.push('%changelog is generated by %autochangelog: no entry was added');
    return;
  }
  const entry = [`* ${changelogDate(input.now)} ${input.packager.name} <${input.packager.email}> - ${evr(spec, release, warnings)}`];
  for (const line of lines) entry.push(`- ${line}`);

  if (!changelog) {
    const last = spec.lines.at(-1);
    spec.append([...(last && last.text.trim() !== '' ? [''] : []), '%changelog', ...entry]);
    warnings.push('the spec had no %changelog section; one was added at the end');
    return;
  }
  const next = spec.lines[changelog.header + 1];
  const separator = next !== undefined && next.text.trim() !== '' ? [''] : [];
  spec.insertAfter(changelog.header, [...entry, ...separator]);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Sun Nov 22 2026`, in UTC, as rpm wants it */
export function changelogDate(now: Date): string {
  const dd = String(now.getUTCDate()).padStart(2, '0');
  return `${DAYS[now.getUTCDay()]} ${MONTHS[now.getUTCMonth()]} ${dd} ${now.getUTCFullYear()}`;
}

/** rpm expands macros in %changelog: a subject's `%` must be `%%`; control characters never belong there. */
function changelogText(subject: string): string {
  const clean = subject.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return (clean || '(no subject)').replace(/%/g, '%%');
}

/** `[Epoch:]Version-Release` for the entry, with macros resolved where the spec defines them plainly. */
function evr(spec: SpecLines, release: string | undefined, warnings: string[]): string {
  const texts = spec.lines.map((l) => l.text);
  const tag = preambleTags(spec);
  const macros = new MacroTable(texts, { name: tag('name'), version: tag('version'), release });
  const resolve = (what: string, raw: string): string => {
    const value = macros.expand(raw);
    if (value === null) {
      warnings.push(`${what} "${raw}" uses macros that could not be resolved; the %changelog entry shows it as written`);
      return raw;
    }
    return value;
  };
  const rawVersion = tag('version');
  if (rawVersion === undefined) warnings.push('the spec has no Version tag');
  const version = rawVersion === undefined ? '' : resolve('Version', rawVersion);
  const epoch = tag('epoch');
  const ev = epoch !== undefined && epoch !== '0' ? `${resolve('Epoch', epoch)}:${version}` : version;
  if (release === undefined) return ev;
  return `${ev}-${resolve('Release', release.replace(/%\{\?dist\}|%\{dist\}/g, ''))}`;
}

/** Plain `%global`/`%define` values of the spec (defined once, no arguments) plus name/version/release. */
class MacroTable {
  private readonly values = new Map<string, string>();

  constructor(texts: string[], tags: { name?: string; version?: string; release?: string }) {
    const seen = new Map<string, number>();
    for (const text of texts) {
      const m = /^\s*%(?:global|define)\s+(\w+)\s+(\S.*?)\s*$/.exec(text);
      if (!m || m[2]!.endsWith('\\')) continue; // multi-line definitions are not plain values
      seen.set(m[1]!, (seen.get(m[1]!) ?? 0) + 1);
      this.values.set(m[1]!, m[2]!);
    }
    for (const [name, count] of seen) if (count > 1) this.values.delete(name); // defined per %if branch: ambiguous
    for (const [name, value] of Object.entries(tags)) if (value !== undefined && !this.values.has(name)) this.values.set(name, value);
  }

  /** The value with every macro replaced, or null when one is unknown (or defined in terms of itself). */
  expand(value: string, depth = 0): string | null {
    if (depth > 10) return null;
    let unresolved = false;
    const out = value.replace(/%%|%\{(\?)?(\w+)\}|%(\w+)/g, (whole, optional: string | undefined, braced?: string, bare?: string) => {
      if (whole === '%%') return '%';
      const name = (braced ?? bare)!;
      const definition = this.values.get(name);
      if (definition === undefined) {
        if (optional) return name === 'dist' ? '' : ((unresolved = true), whole);
        unresolved = true;
        return whole;
      }
      const expanded = this.expand(definition, depth + 1);
      if (expanded === null) unresolved = true;
      return expanded ?? whole;
    });
    return unresolved ? null : out;
  }
}
