/**
 * The spec side of the apply check: every `PatchNNNN:` file exists on the branch, every `%patch` line
 * names a defined patch, numbers are not defined twice, and the published patch files are listed.
 */

const PATCH_TAG = /^\s*patch(\d*)\s*:\s*(\S+)/i;
/** %patch3, %patch3 -p1, %patch 3 -p1, %patch -P 3 -p1, %patch -P3 */
const PATCH_MACRO = /^\s*%patch(\d*)(?=[\s]|$)(.*)$/;

function macroNumbers(line: string): number[] | null {
  const m = PATCH_MACRO.exec(line);
  if (!m) return null;
  if (m[1]) return [Number(m[1])];
  const rest = m[2] ?? '';
  const numbers: number[] = [];
  for (const p of rest.matchAll(/-P\s*(\d+)/g)) numbers.push(Number(p[1]));
  const positional = /^\s+(\d+)(?=\s|$)/.exec(rest);
  if (positional) numbers.push(Number(positional[1]));
  // a bare `%patch -p1` is Patch0 in rpm's old reading
  return numbers.length ? numbers : [0];
}

export function checkSpec(content: string, filesOnBranch: ReadonlySet<string>, published: readonly string[]): string[] {
  const problems: string[] = [];
  const defined = new Map<number, string>();
  const listed = new Set<string>();
  const lines = content.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    const tag = PATCH_TAG.exec(line);
    if (!tag) continue;
    const number = tag[1] ? Number(tag[1]) : 0;
    const value = tag[2]!;
    if (defined.has(number)) problems.push(`line ${i + 1}: Patch${number} is defined twice (${defined.get(number)} and ${value})`);
    defined.set(number, value);
    // macros need rpm to expand; a URL names its file by the last path segment (as rpmbuild does)
    if (value.includes('%')) continue;
    const file = value.includes('://') ? value.slice(value.lastIndexOf('/') + 1) : value;
    listed.add(file);
    if (!filesOnBranch.has(file)) problems.push(`line ${i + 1}: Patch${number}: ${file} is not in the repository`);
  }
  for (const [i, line] of lines.entries()) {
    const numbers = macroNumbers(line);
    if (!numbers) continue;
    for (const n of numbers) if (!defined.has(n)) problems.push(`line ${i + 1}: \`${line.trim()}\` applies Patch${n}, which the spec does not define`);
  }
  for (const file of published) {
    if (file.includes('/')) continue; // patches kept in a subdirectory (PATCH_DIR) are not spec sources
    if (!listed.has(file)) problems.push(`${file} was published but the spec does not list it`);
  }
  return problems;
}
