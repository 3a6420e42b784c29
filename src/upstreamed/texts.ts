/**
 * What the maintainer reads about a removal of upstreamed patches: for each removed patch why it is known
 * to be upstream (the upstream commit and the method), the patches kept because that could not be proved,
 * and the apply check of what remains. Everything comes from the publication row, so a resumed run writes
 * the same texts.
 */
import type { PatchFinding, RemovalDetail } from '../db/schema/index.js';

const METHOD: Record<NonNullable<PatchFinding['method']>, string> = {
  'from-header': 'made from this commit (its `From` header), which the tag contains',
  'patch-id': 'the same change as this commit (`git patch-id --stable`)',
  'reverse-apply': 'applies in reverse to the tag: its result is already in the upstream tree',
};

export function removalMarker(trackingId: number, key: string): string {
  return `<!-- patch-tracking:tracking=${trackingId} upstreamed=${key} -->`;
}

/** Deterministic per (tracking, version, set of patches): a rerun finds the branch it made before. */
export function removalBranchName(trackingId: number, key: string): string {
  return `patch-tracking/t${trackingId}-upstreamed-${key.slice(0, 12)}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 'es'}`;
const cell = (text: string) => text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');

function commitCell(f: PatchFinding): string {
  if (!f.upstreamCommit) return '(the tag\'s tree)';
  return `${f.upstreamCommit.slice(0, 12)}${f.upstreamSubject ? ` ${cell(f.upstreamSubject)}` : ''}`;
}

/** The %changelog line of one removed patch. */
export function changelogLine(f: PatchFinding, tag: string): string {
  return `Remove ${f.file}: upstream in ${tag}${f.upstreamCommit ? ` (${f.upstreamCommit.slice(0, 12)})` : ''}`;
}

export function removalIssueTitle(targetBranch: string, d: RemovalDetail): string {
  return `[patch tracking] ${targetBranch}: ${plural(d.removed.length, 'patch')} already upstream in ${d.tag}`;
}

function details(d: RemovalDetail): string[] {
  const lines = [
    `\`${d.specPath}\` builds Version ${d.version}. The upstream \`${d.upstream}\` at tag \`${d.tag}\` (${d.commit.slice(0, 12)}) already contains these patches, so they are removed:`,
    '',
    '| Patch | File | Upstream commit | How it is known |',
    '| --- | --- | --- | --- |',
    ...d.removed.map((f) => `| Patch${f.number} | \`${f.file}\` | ${commitCell(f)} | ${METHOD[f.method!]} |`),
  ];
  if (d.uncertain.length) {
    lines.push('', 'Kept: not proved to be upstream (check them by hand):', ...d.uncertain.map((f) => `- \`${f.file}\` (Patch${f.number}): ${f.reason}`));
  }
  lines.push('');
  if (d.applyCheck.outcome === 'clean') lines.push(`Apply check: the remaining patches apply to \`${d.tag}\` in rpm's order.`);
  else lines.push(`Apply check: after the removal, these patches do not apply to \`${d.tag}\` in rpm's order:`, ...d.applyCheck.failed.map((f) => `- \`${f.file}\`: ${cell(f.error.split('\n')[0] ?? '')}`));
  return lines;
}

export function removalIssueBody(trackingId: number, key: string, d: RemovalDetail): string {
  return [...details(d), '', removalMarker(trackingId, key)].join('\n') + '\n';
}

export function removalPullTitle(d: RemovalDetail): string {
  return `[patch tracking] remove ${plural(d.removed.length, 'patch')} already upstream in ${d.tag}`;
}

export function removalPullBody(trackingId: number, key: string, d: RemovalDetail, issueRef: string): string {
  return [issueRef, '', ...details(d), '', removalMarker(trackingId, key)].join('\n') + '\n';
}

export function removalCommitMessage(d: RemovalDetail): string {
  return `[patch tracking] remove patches already upstream in ${d.tag}\n\n${d.removed.map((f) => `${f.file}: ${f.reason}`).join('\n')}\n`;
}
