/**
 * What the maintainer reads: issue and PR titles and bodies. The old program's layout (title
 * `[patch tracking] <branch> <timestamp>`, a table of commits) plus the compare link, the patch file list,
 * notes for the maintainer, and a hidden marker by which a resumed run finds its own issue.
 */
import type { PublishedCommit } from '../db/schema/index.js';
import { ownerAndName } from '../forges/resolve.js';

export interface RangeDescription {
  trackingId: number;
  upstream: { versionControl: string; scmRepo: string; scmBranch: string };
  targetBranch: string;
  rangeFrom: string;
  rangeTo: string;
  stamp: string;
  commits: PublishedCommit[];
  patchFiles: string[];
  compareUrl?: string;
  notes: string[];
}

/** `20261121232021744732`: the old program's timestamp (to the microsecond; ours has milliseconds + 000). */
export function publicationStamp(date: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}${p(date.getUTCMilliseconds(), 3)}000`;
}

export function rangeMarker(trackingId: number, from: string, to: string): string {
  return `<!-- patch-tracking:tracking=${trackingId} range=${from}..${to} -->`;
}

/** Deterministic per (tracking, range): a rerun finds the branch it made before. */
export function tempBranchName(trackingId: number, from: string, to: string): string {
  return `patch-tracking/t${trackingId}-${from.slice(0, 12)}-${to.slice(0, 12)}`;
}

const cell = (text: string) => text.replace(/\r?\n/g, '<br>').replace(/\|/g, '\\|');

export function commitTable(commits: PublishedCommit[]): string {
  const rows = commits.map((c) => {
    const short = c.sha.slice(0, 7);
    const link = c.url ? `[${short}](${c.url})` : short;
    return `| ${link} | ${c.authorDate} | ${cell(c.message)} |`;
  });
  return ['| Commit | Datetime | Message |', '| ------ | ------ | ------ |', ...rows].join('\n') + '\n';
}

export function issueTitle(d: RangeDescription): string {
  return `[patch tracking] ${d.targetBranch} ${d.stamp}`;
}

export function issueBody(d: RangeDescription): string {
  const upstream = `${d.upstream.scmRepo} ${d.upstream.scmBranch}`;
  const lines = [
    commitTable(d.commits),
    `Upstream: \`${upstream}\` (${d.upstream.versionControl}), ${d.rangeFrom.slice(0, 12)}..${d.rangeTo.slice(0, 12)}, ${d.commits.length} commit${d.commits.length === 1 ? '' : 's'}.`,
  ];
  if (d.compareUrl) lines.push(`Compare: ${d.compareUrl}`);
  lines.push('', 'Patch files:', ...d.patchFiles.map((f) => `- \`${f}\``));
  if (d.notes.length) lines.push('', 'Notes for the maintainer:', ...d.notes.map((n) => `- ${n}`));
  lines.push('', rangeMarker(d.trackingId, d.rangeFrom, d.rangeTo));
  return lines.join('\n') + '\n';
}

export function pullTitle(d: RangeDescription): string {
  return `[patch tracking] ${d.stamp}`;
}

/** `issueRef` is the forge adapter's issueReference: each forge links (or closes) the issue its own way. */
export function pullBody(d: RangeDescription, issueRef: string): string {
  return [
    issueRef,
    '',
    `Upstream commits of \`${d.upstream.scmRepo} ${d.upstream.scmBranch}\` as patch files, for review (${d.commits.length}).`,
    ...(d.notes.length ? ['', ...d.notes.map((n) => `- ${n}`)] : []),
    '',
    rangeMarker(d.trackingId, d.rangeFrom, d.rangeTo),
  ].join('\n') + '\n';
}

export function commitMessage(d: RangeDescription): string {
  return `[patch tracking] ${d.stamp} - ${d.upstream.scmRepo} ${d.rangeFrom.slice(0, 12)}..${d.rangeTo.slice(0, 12)}\n\n${d.commits
    .map((c) => `${c.sha.slice(0, 12)} ${c.subject}`)
    .join('\n')}\n`;
}

/**
 * A web compare link for upstreams on GitHub: a github upstream (on the GitHub that GITHUB_API_URL names, whose
 * pages are at `githubWebUrl`), or a git URL on github.com or on that GitHub.
 */
export function compareUrl(versionControl: string, scmRepo: string, from: string, to: string, githubWebUrl = 'https://github.com'): string | undefined {
  const web = githubWebUrl.replace(/\/+$/, '');
  let base: string | undefined = web;
  let path = scmRepo;
  if (versionControl === 'github') {
    if (/^https?:\/\//i.test(scmRepo)) path = URL.canParse(scmRepo) ? new URL(scmRepo).pathname : '';
  } else {
    base = [web, 'https://github.com'].find((b) => scmRepo.toLowerCase().startsWith(`${b.toLowerCase()}/`));
    if (!base) return undefined;
    path = scmRepo.slice(base.length);
  }
  const repo = ownerAndName(path);
  return repo ? `${base}/${repo.owner}/${repo.name}/compare/${from}...${to}` : undefined;
}
