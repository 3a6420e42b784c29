/**
 * One tracking's packaging repository against its upstream: the spec's patches, read from the target branch,
 * compared with the upstream at the version the spec builds (`Version:` through the tag patterns to a tag),
 * or at the tracked branch head when no tag matches (then nothing is proposed for removal: the package is
 * not built from that head). Reads only; the API, the CLI, the dashboard and the scan cycle share it.
 */
import { mkdirSync } from 'node:fs';
import type { Database } from '../db/client.js';
import type { PatchFinding, TrackingRow } from '../db/schema/index.js';
import { getTracking } from '../db/trackings.js';
import { AppError } from '../errors.js';
import type { Forges } from '../forges/resolve.js';
import { chooseSpecFile, specName, specVersion } from '../patches/spec.js';
import type { GitSource } from '../sources/git.js';
import { publicUrl } from '../sources/git-url.js';
import { specPatches } from '../verify/package-tree.js';
import { analysePatches, type SpecPatchText, type TreeApplyCheck } from './analyse.js';

/** UPSTREAM_TAG_PATTERNS' default: `v1.2`, then `1.2` */
export const DEFAULT_TAG_PATTERNS = ['v%{version}', '%{version}'];

export interface UpstreamedDeps {
  forges: Pick<Forges, 'resolve' | 'forRepo'>;
  git: GitSource;
  /** UPSTREAM_TAG_PATTERNS: `%{version}` and `%{name}` are the spec's */
  tagPatterns: string[];
  /** where github upstreams (owner/name) are fetched: `<githubGitUrl>/owner/name.git` */
  githubGitUrl: string;
  /** DATA_DIR/upstreamed: temporary index files */
  workRoot: string;
  gitBinary?: string;
  timeoutMs?: number;
  patchIdWindow?: number;
}

export interface UpstreamedReport {
  tracking: { id: number; repo: string; branch: string };
  spec: string | null;
  version: string | null;
  /** what the patches were compared with */
  upstream: { url: string; branch: string; tag: string | null; commit: string | null; tagsTried: string[] };
  patches: PatchFinding[];
  applyCheck: TreeApplyCheck | null;
  /** why nothing can be (or was) proposed, when that is so */
  notes: string[];
  /** a removal PR can be proposed: a tag matched and at least one patch is proved upstream */
  removable: boolean;
}

/** The tag names a version may have upstream, in the order tried. */
export function tagCandidates(patterns: string[], spec: { version: string; name: string | null }): string[] {
  const out: string[] = [];
  for (const pattern of patterns) {
    if (pattern.includes('%{name}') && !spec.name) continue;
    const tag = pattern.replaceAll('%{version}', spec.version).replaceAll('%{name}', spec.name ?? '');
    if (!out.includes(tag)) out.push(tag);
  }
  return out;
}

/** The git URL of a tracking's upstream; a mailing list has no tree to compare with. */
export function upstreamGitUrl(t: Pick<TrackingRow, 'versionControl' | 'scmRepo'>, githubGitUrl: string): string {
  if (t.versionControl === 'git') return t.scmRepo;
  if (t.versionControl === 'github') return `${githubGitUrl.replace(/\/+$/, '')}/${t.scmRepo.replace(/^https?:\/\/[^/]+\//, '').replace(/\.git$/, '')}.git`;
  throw new AppError('upstream_unsupported', `a ${t.versionControl} tracking has no upstream tree to compare the spec's patches with`);
}

/** What the caller already read of the packaging branch (the scan step reads it to see whether anything changed). */
export interface PackagingRead {
  files: string[];
  spec: { path: string; content: string } | null;
}

export async function analyseUpstreamed(deps: UpstreamedDeps, t: TrackingRow, read?: PackagingRead): Promise<UpstreamedReport> {
  const url = upstreamGitUrl(t, deps.githubGitUrl);
  const report: UpstreamedReport = {
    tracking: { id: t.id, repo: t.repo, branch: t.branch },
    spec: null,
    version: null,
    upstream: { url: publicUrl(url), branch: t.scmBranch, tag: null, commit: null, tagsTried: [] },
    patches: [],
    applyCheck: null,
    notes: [],
    removable: false,
  };
  const repo = deps.forges.resolve(t.repo);
  const forge = deps.forges.forRepo(repo);
  const files = read?.files ?? (await forge.listFiles(repo, t.branch));
  const choice = chooseSpecFile(repo.name, files);
  if (choice.kind !== 'edit') {
    report.notes.push(choice.kind === 'missing' ? `no spec to read: ${choice.reason}` : 'no spec to read');
    return report;
  }
  const spec = read && read.spec?.path === choice.path ? read.spec.content : (await forge.readFile(repo, choice.path, t.branch))?.content;
  if (spec === undefined) {
    report.notes.push(`${choice.path} could not be read from branch ${t.branch}`);
    return report;
  }
  report.spec = choice.path;
  const declared = specPatches(spec);
  if (declared.length === 0) {
    report.notes.push(`${choice.path} carries no patches`);
    return report;
  }
  report.version = specVersion(spec);
  if (report.version === null) report.notes.push(`${choice.path} has no Version this service can resolve: compared with the head of ${t.scmBranch} instead, nothing is proposed for removal`);
  const patches: SpecPatchText[] = [];
  for (const p of declared) {
    const text = files.includes(p.file) ? ((await forge.readFile(repo, p.file, t.branch))?.content ?? null) : null;
    patches.push({ ...p, text });
  }
  report.upstream.tagsTried = report.version ? tagCandidates(deps.tagPatterns, { version: report.version, name: specName(spec) }) : [];
  mkdirSync(deps.workRoot, { recursive: true });
  const git = { gitBinary: deps.gitBinary ?? 'git', timeoutMs: deps.timeoutMs ?? 10 * 60_000 };
  const analysis = await deps.git.withBranchAndTag(url, t.scmBranch, report.upstream.tagsTried, async (mirror, found) => {
    report.upstream.tag = found.tag?.name ?? null;
    report.upstream.commit = found.tag?.sha ?? found.head;
    const where = found.tag ? `tag ${found.tag.name}` : `the head of ${t.scmBranch}`;
    return analysePatches({ repo: mirror, commit: report.upstream.commit, where, patches, git, workRoot: deps.workRoot, patchIdWindow: deps.patchIdWindow });
  });
  report.patches = analysis.patches;
  report.applyCheck = analysis.applyCheck;
  const upstream = analysis.patches.filter((p) => p.status === 'upstream').length;
  if (report.version && !report.upstream.tag) {
    const tags = report.upstream.tagsTried.length ? `no upstream tag ${report.upstream.tagsTried.join(' or ')}` : 'UPSTREAM_TAG_PATTERNS make no valid tag name';
    report.notes.push(`${tags} for Version ${report.version}: compared with the head of ${t.scmBranch} instead, nothing is proposed for removal`);
  }
  report.removable = report.upstream.tag !== null && upstream > 0;
  return report;
}

/** The analysis as the presentations are handed it (main.ts binds the deps). */
export type AnalyseTracking = (t: TrackingRow) => Promise<UpstreamedReport>;

/** The report of one tracking for the API and the dashboard: the tracking must exist, the analysis be wired here. */
export async function upstreamedReportOf(db: Database, analyse: AnalyseTracking | undefined, id: number): Promise<UpstreamedReport> {
  const t = await getTracking(db, id);
  if (!t) throw new AppError('not_found', 'no such tracking');
  if (!analyse) throw new AppError('analysis_unavailable', 'this process does not read upstreams: the spec patches cannot be compared here');
  return analyse(t);
}
