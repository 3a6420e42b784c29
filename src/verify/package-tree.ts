/**
 * For a packaging repository the patches apply to the upstream sources, not to the repository: unpack the
 * spec's Source0 tarball (when it is in the repository) and apply every Patch of the spec in rpm's order
 * with `patch --fuzz=0`, as rpmbuild's %prep does. Anything this cannot reproduce (macros other than
 * name/version, a tarball not in the repository or stored in LFS) is said plainly instead of guessed.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PackagePatch {
  file: string;
  status: 'applied' | 'failed' | 'not_tried';
  error?: string;
}

export type PackageApply = { status: 'done'; patches: PackagePatch[] } | { status: 'unavailable'; reason: string };

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

function tagValue(spec: string, tag: RegExp): string | undefined {
  for (const line of spec.split(/\r?\n/)) {
    const m = tag.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** `%{name}`, `%name`, `%{version}`, `%version` from the spec's own tags; `%{?dist}` and friends dropped. */
export function expandSimpleMacros(value: string, spec: string): string {
  const name = tagValue(spec, /^\s*name\s*:\s*(\S+)\s*$/i);
  const version = tagValue(spec, /^\s*version\s*:\s*(\S+)\s*$/i);
  let out = value.replace(/%\{\?[^}]*\}/g, '');
  if (name && !name.includes('%')) out = out.replace(/%\{name\}|%name\b/g, name);
  if (version && !version.includes('%')) out = out.replace(/%\{version\}|%version\b/g, version);
  return out;
}

/** Patch files in rpm's order (by number, as %autosetup/%autopatch apply them) with their -p level. */
export function specPatches(spec: string): { number: number; file: string; strip: number }[] {
  const strips = new Map<number, number>();
  for (const line of spec.split(/\r?\n/)) {
    const m = /^\s*%patch\s*-P\s*(\d+)(.*)$|^\s*%patch(\d+)(.*)$|^\s*%patch\s+(\d+)(.*)$/.exec(line);
    if (!m) continue;
    const number = Number(m[1] ?? m[3] ?? m[5]);
    const p = /-p\s*(\d+)/.exec(m[2] ?? m[4] ?? m[6] ?? '');
    strips.set(number, p ? Number(p[1]) : 0);
  }
  const autosetup = /-p\s*(\d+)/.exec(tagValue(spec, /^\s*(%autosetup.*|%autopatch.*)$/) ?? '');
  const patches: { number: number; file: string; strip: number }[] = [];
  for (const line of spec.split(/\r?\n/)) {
    const m = /^\s*patch(\d*)\s*:\s*(\S+)/i.exec(line);
    if (!m) continue;
    const number = m[1] ? Number(m[1]) : 0;
    const value = expandSimpleMacros(m[2]!, spec);
    const file = value.includes('://') ? value.slice(value.lastIndexOf('/') + 1) : value;
    patches.push({ number, file, strip: strips.get(number) ?? (autosetup ? Number(autosetup[1]) : 1) });
  }
  return patches.sort((a, b) => a.number - b.number);
}

export async function applyToPackageSources(input: {
  spec: string;
  files: ReadonlySet<string>;
  show(path: string): Promise<Buffer>;
  scratch: string;
  timeoutMs: number;
}): Promise<PackageApply> {
  const raw = tagValue(input.spec, /^\s*source0?\s*:\s*(\S+)/i);
  if (!raw) return { status: 'unavailable', reason: 'the spec has no Source0' };
  const expanded = expandSimpleMacros(raw, input.spec);
  if (expanded.includes('%')) return { status: 'unavailable', reason: `Source0 \`${raw}\` uses macros this check does not expand` };
  const tarball = expanded.includes('://') ? expanded.slice(expanded.lastIndexOf('/') + 1) : expanded;
  if (!/\.(tar(\.(gz|xz|bz2|zst))?|tgz|tbz2|txz)$/.test(tarball)) return { status: 'unavailable', reason: `Source0 ${tarball} is not a tar archive` };
  if (!input.files.has(tarball)) return { status: 'unavailable', reason: `Source0 ${tarball} is not in the repository` };
  const content = await input.show(tarball);
  if (content.subarray(0, 40).toString('latin1').startsWith('version https://git-lfs')) return { status: 'unavailable', reason: `Source0 ${tarball} is stored in Git LFS` };

  const archive = join(input.scratch, 'source-archive');
  const tree = join(input.scratch, 'tree');
  mkdirSync(tree, { recursive: true });
  writeFileSync(archive, content);
  const unpacked = await run('tar', ['--no-same-owner', '--no-same-permissions', '-xf', archive, '-C', tree], input.scratch, input.timeoutMs);
  if (unpacked.code !== 0) return { status: 'unavailable', reason: `Source0 ${tarball} could not be unpacked: ${unpacked.output.split('\n').at(-1)}` };
  const entries = readdirSync(tree);
  const root = entries.length === 1 && statSync(join(tree, entries[0]!)).isDirectory() ? join(tree, entries[0]!) : tree;

  const patches: PackagePatch[] = [];
  let failed = false;
  for (const [i, p] of specPatches(input.spec).entries()) {
    if (failed) {
      patches.push({ file: p.file, status: 'not_tried' });
      continue;
    }
    if (p.file.includes('%') || !input.files.has(p.file)) {
      failed = true;
      patches.push({ file: p.file, status: 'failed', error: 'not in the repository' });
      continue;
    }
    const patchFile = join(input.scratch, `p${i}.patch`);
    writeFileSync(patchFile, await input.show(p.file));
    const result = await run('patch', [`-p${p.strip}`, '--fuzz=0', '--batch', '--forward', '--no-backup-if-mismatch', '-i', patchFile], root, input.timeoutMs);
    if (result.code === 0) patches.push({ file: p.file, status: 'applied' });
    else {
      failed = true;
      patches.push({ file: p.file, status: 'failed', error: result.output.replaceAll(patchFile, p.file).split('\n').slice(-6).join('\n') });
    }
  }
  return { status: 'done', patches };
}
