import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import pLimit from 'p-limit';
import { AppError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { MirrorLocks } from './git-lock.js';
import { assertBranchName, isBranchName } from './git-ref.js';
import { GitCommandError, runGit, runGitOk, type GitRunOptions } from './git-run.js';
import { assertGitUrl, commitWebUrl, mirrorDirName, publicUrl } from './git-url.js';
import { fromUpstream, UpstreamPolicy, type GitAccess } from './upstream-policy.js';
import { ABBREVIATED_COMMIT_ID, commitNotResolved, type HeadResult, type Source, type TrackedUpstream, type UpstreamCommit } from './types.js';

export interface GitSourceOptions {
  /** DATA_DIR: mirrors live in `<dataDir>/mirrors/` */
  dataDir: string;
  gitBinary?: string;
  /** per git command; a fetch of a big repository needs minutes */
  timeoutMs?: number;
  /** parallel `git ls-remote` calls in heads() */
  concurrency?: number;
  /** how long range() waits for another scan holding the same mirror */
  lockWaitMs?: number;
  /** which upstream URLs may be read (ALLOW_LOCAL_UPSTREAMS, UPSTREAM_ALLOW_HOSTS); default: no local ones */
  upstreamPolicy?: UpstreamPolicy;
  /** where the reason an upstream could not be fetched goes (its callers only learn that it could not) */
  logger?: Logger;
}

/** A commit from a `git` upstream. `empty` commits change no file: their patch has no diff. */
export interface GitCommit extends UpstreamCommit {
  empty: boolean;
}

/** where withFetchedBranches keeps the branches it fetched */
const UPSTREAM_REFS = 'refs/patch-tracking/upstream/';
/** where withBranchAndTag keeps the release tags it fetched */
const UPSTREAM_TAGS = 'refs/patch-tracking/tags/';

const SHA_RE = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Any git URL as an upstream: heads via `git ls-remote`, ranges and patches from a local bare mirror. */
export class GitSource implements Source {
  readonly kind = 'git';
  private readonly gitBinary: string;
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly mirrorsDir: string;
  private readonly locks: MirrorLocks;
  /** also what other fetches next to an upstream (a public-inbox manifest) are checked against */
  readonly policy: UpstreamPolicy;
  private readonly logger: Logger | undefined;

  constructor(options: GitSourceOptions) {
    this.policy = options.upstreamPolicy ?? new UpstreamPolicy({ allowLocal: false });
    this.logger = options.logger;
    this.gitBinary = options.gitBinary ?? 'git';
    this.timeoutMs = options.timeoutMs ?? 10 * 60_000;
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.mirrorsDir = join(options.dataDir, 'mirrors');
    this.locks = new MirrorLocks({
      staleMs: Math.max(30_000, Math.min(this.timeoutMs, 120_000)),
      waitMs: options.lockWaitMs ?? this.timeoutMs * 3,
    });
  }

  /** One `git ls-remote` per distinct URL, whatever the number of trackings on it. */
  async heads(upstreams: TrackedUpstream[]): Promise<Map<number, HeadResult>> {
    const byUrl = new Map<string, TrackedUpstream[]>();
    for (const u of upstreams) byUrl.set(u.scmRepo, [...(byUrl.get(u.scmRepo) ?? []), u]);
    const results = new Map<number, HeadResult>();
    const limit = pLimit(this.concurrency);
    await limit.map([...byUrl.entries()], async ([url, group]) => {
      let refs: Map<string, string>;
      try {
        assertGitUrl(url);
        const branches = [...new Set(group.map((u) => u.scmBranch))];
        for (const b of branches) assertBranchName(b);
        refs = await this.lsRemote(url, branches);
      } catch (e) {
        for (const u of group) results.set(u.id, { error: errorMessage(e) });
        return;
      }
      for (const u of group) {
        const sha = refs.get(`refs/heads/${u.scmBranch}`);
        results.set(
          u.id,
          sha ? { sha } : { error: `branch "${u.scmBranch}" does not exist in ${publicUrl(url)}` },
        );
      }
    });
    return results;
  }

  /** The full id of the commit of the tracked branch that `abbrev` names, after fetching the branch. */
  async resolveCommit(upstream: TrackedUpstream, abbrev: string): Promise<string> {
    const given = abbrev.toLowerCase();
    if (SHA_RE.test(given)) return given;
    assertGitUrl(upstream.scmRepo);
    assertBranchName(upstream.scmBranch);
    if (!ABBREVIATED_COMMIT_ID.test(given)) throw new AppError('invalid_sha', `scm_commit must be 4 to 64 hex digits, got ${JSON.stringify(abbrev)}`, { field: 'scm_commit' });
    const mirror = join(this.mirrorsDir, mirrorDirName(upstream.scmRepo));
    await mkdir(this.mirrorsDir, { recursive: true });
    return this.locks.withLock(`${mirror}.lock`, async () => {
      await this.ensureMirror(mirror);
      await this.fetchBranch(mirror, upstream);
      const where = `branch "${upstream.scmBranch}" of ${publicUrl(upstream.scmRepo)}`;
      // the branch's own commits only: the mirror holds nothing else it could match by mistake
      const found = await runGit(['rev-parse', '--verify', `${given}^{commit}`], this.opts(mirror));
      if (found.exitCode === 0) return found.stdout.toString('utf8').trim();
      throw commitNotResolved(/ambiguous/i.test(found.stderr) ? 'commit_ambiguous' : 'commit_unknown', abbrev, where);
    });
  }

  /** Commits in from..to, oldest first, merges skipped, each with its exact `git format-patch` text. */
  async range(upstream: TrackedUpstream, from: string, to: string): Promise<GitCommit[]> {
    assertGitUrl(upstream.scmRepo);
    assertBranchName(upstream.scmBranch);
    assertSha(from, 'from');
    assertSha(to, 'to');
    const mirror = join(this.mirrorsDir, mirrorDirName(upstream.scmRepo));
    await mkdir(this.mirrorsDir, { recursive: true });
    return this.locks.withLock(`${mirror}.lock`, async () => {
      await this.ensureMirror(mirror);
      const absent = await this.fetchMissing(mirror, upstream, [from, to]);
      if (absent.includes(to)) throw commitNotFound(upstream, to);
      // gone from the branch after a fetch: not an ancestor of anything the branch holds
      if (absent.includes(from)) throw notAncestor(upstream, from, to);
      if (from === to) return [];
      const ancestor = await runGit(['merge-base', '--is-ancestor', from, to], this.opts(mirror));
      if (ancestor.exitCode === 1) throw notAncestor(upstream, from, to);
      if (ancestor.exitCode !== 0) {
        throw new GitCommandError(ancestor.exitCode, ancestor.stderr, `git merge-base failed: ${ancestor.stderr}`);
      }
      const commits = await this.readCommits(mirror, from, to, upstream.scmRepo);
      if (commits.length === 0) return [];
      const patches = await this.formatPatches(mirror, from, to, commits.map((c) => c.sha));
      return commits.map((c) => ({ ...c, patch: patches.get(c.sha)! }));
    });
  }

  /**
   * Whether `url` answers as a git repository (`git ls-remote` succeeds): how a follower finds out that a
   * public-inbox epoch exists (and how many branches it has: an http server may answer an empty list for
   * a path that is no repository). The reason is returned when it does not; a URL the policy refuses throws.
   */
  async probe(url: string, field = 'url'): Promise<{ ok: true; branches: number } | { ok: false; reason: string }> {
    assertGitUrl(url, field);
    const r = await this.fromUpstream(url, (remote) => runGit(['ls-remote', '--heads', remote.url], remote.options), undefined, field);
    if (r.exitCode !== 0) return { ok: false, reason: r.stderr.trim() || `git ls-remote exited with ${r.exitCode}` };
    return { ok: true, branches: r.stdout.toString('utf8').split('\n').filter((l) => l.includes('\trefs/heads/')).length };
  }

  /**
   * Fetches every branch of `url` into its bare mirror (force: a rewritten history replaces the old
   * one, whose commits stay readable until gc) and runs `use` on the mirror while holding its lock.
   */
  async withMirror<T>(url: string, use: (mirror: string) => Promise<T>, field = 'url'): Promise<T> {
    assertGitUrl(url, field);
    const mirror = join(this.mirrorsDir, mirrorDirName(url));
    await mkdir(this.mirrorsDir, { recursive: true });
    return this.locks.withLock(`${mirror}.lock`, async () => {
      await this.ensureMirror(mirror);
      await this.fromUpstream(url, (remote) => runGitOk([...this.fetchArgs(remote.url), '+refs/heads/*:refs/heads/*'], remote.options), mirror, field);
      return use(mirror);
    });
  }

  /** Options for running git in a mirror handed out by withMirror (same binary and timeout). */
  gitOptions(cwd: string): GitRunOptions {
    return this.opts(cwd);
  }

  /**
   * Fetches the given branches of `url` (none: the upstream's default branch, as `HEAD`) into the mirror and
   * runs `read` on it under the mirror's lock, with the head of each branch. For readers other than the
   * engine (the landed-patch matcher); their refs live under refs/patch-tracking/ so the engine's stay untouched.
   */
  async withFetchedBranches<T>(url: string, branches: string[], read: (mirror: string, heads: Map<string, string>) => Promise<T>): Promise<T> {
    assertGitUrl(url, 'scm_url');
    for (const b of branches) assertBranchName(b);
    const mirror = join(this.mirrorsDir, mirrorDirName(url));
    await mkdir(this.mirrorsDir, { recursive: true });
    return this.locks.withLock(`${mirror}.lock`, async () => {
      await this.ensureMirror(mirror);
      const names = branches.length ? branches : ['HEAD'];
      const refspecs = names.map((b) => `+${b === 'HEAD' ? 'HEAD' : `refs/heads/${b}`}:${UPSTREAM_REFS}${b}`);
      await this.fromUpstream(url, (remote) => runGitOk([...this.fetchArgs(remote.url), ...refspecs], remote.options), mirror, 'scm_url');
      const out = await runGitOk(['rev-parse', ...names.map((b) => `${UPSTREAM_REFS}${b}^{commit}`)], this.opts(mirror));
      const shas = out.toString('utf8').trim().split('\n');
      return read(mirror, new Map(names.map((b, i) => [b, shas[i]!])));
    });
  }

  /**
   * The tracked branch and the first of `tags` the upstream has (in the order given), fetched into the mirror;
   * `read` runs under the mirror's lock with the branch head and the tag's commit (null when no tag matched).
   * Tag names are checked like branch names before they reach git.
   */
  async withBranchAndTag<T>(
    url: string,
    branch: string,
    tags: string[],
    read: (mirror: string, found: { head: string; tag: { name: string; sha: string } | null }) => Promise<T>,
  ): Promise<T> {
    assertGitUrl(url, 'scm_repo');
    assertBranchName(branch);
    const candidates = tags.filter(isBranchName);
    const mirror = join(this.mirrorsDir, mirrorDirName(url));
    await mkdir(this.mirrorsDir, { recursive: true });
    return this.locks.withLock(`${mirror}.lock`, async () => {
      await this.ensureMirror(mirror);
      const advertised = candidates.length
        ? await this.fromUpstream(url, (remote) => runGitOk(['ls-remote', '--tags', remote.url, ...candidates.map((t) => `refs/tags/${t}`)], remote.options))
        : Buffer.alloc(0);
      const present = new Set(advertised.toString('utf8').split('\n').map((l) => l.split('\t')[1]).filter(Boolean));
      const tag = candidates.find((t) => present.has(`refs/tags/${t}`)) ?? null;
      const refspecs = [`+refs/heads/${branch}:${UPSTREAM_REFS}${branch}`, ...(tag ? [`+refs/tags/${tag}:${UPSTREAM_TAGS}${tag}`] : [])];
      await this.fromUpstream(url, (remote) => runGitOk([...this.fetchArgs(remote.url), ...refspecs], remote.options), mirror);
      const names = [`${UPSTREAM_REFS}${branch}^{commit}`, ...(tag ? [`${UPSTREAM_TAGS}${tag}^{commit}`] : [])];
      const [head, tagSha] = (await runGitOk(['rev-parse', ...names], this.opts(mirror))).toString('utf8').trim().split('\n');
      return read(mirror, { head: head!, tag: tag ? { name: tag, sha: tagSha! } : null });
    });
  }

  private opts(cwd?: string, authorization?: string, access?: GitAccess): GitRunOptions {
    return { gitBinary: this.gitBinary, timeoutMs: this.timeoutMs, cwd, authorization, access };
  }

  /** A git command that reaches the upstream, in `cwd` (upstream-policy.ts fromUpstream); `field` names the URL in errors. */
  private async fromUpstream<T>(url: string, run: (remote: { url: string; options: GitRunOptions }) => Promise<T>, cwd?: string, field = 'scm_repo'): Promise<T> {
    return fromUpstream(this.policy, url, { field, logger: this.logger }, (remote) =>
      run({ url: remote.url, options: this.opts(cwd, remote.authorization, remote.access) }),
    );
  }

  private async lsRemote(url: string, branches: string[]): Promise<Map<string, string>> {
    const out = await this.fromUpstream(url, (remote) =>
      runGitOk(['ls-remote', remote.url, ...branches.map((b) => `refs/heads/${b}`)], remote.options),
    );
    const refs = new Map<string, string>();
    for (const line of out.toString('utf8').split('\n')) {
      const [sha, ref] = line.split('\t');
      if (sha && ref && SHA_RE.test(sha)) refs.set(ref, sha);
    }
    return refs;
  }

  /**
   * A bare repository filled by explicit `git fetch <url>` (rather than `clone --mirror`, which would
   * store the URL, token included, in the mirror's config on disk). Built in a temp dir and renamed,
   * so a crash never leaves a half-made mirror behind.
   */
  private async ensureMirror(mirror: string): Promise<void> {
    if (await exists(join(mirror, 'HEAD'))) return;
    await rm(mirror, { recursive: true, force: true });
    // leftovers of a process killed while creating this mirror
    const prefix = `${basename(mirror)}.tmp-`;
    for (const name of await readdir(this.mirrorsDir)) {
      if (name.startsWith(prefix)) await rm(join(this.mirrorsDir, name), { recursive: true, force: true });
    }
    const tmp = `${mirror}.tmp-${process.pid}-${Date.now()}`;
    await runGitOk(['init', '--bare', '--quiet', tmp], this.opts());
    await rename(tmp, mirror);
  }

  /**
   * Fetches the tracked branch (only when a commit is missing), then any still-missing commit by sha.
   * Returns the shas the upstream does not have (any more).
   */
  private async fetchMissing(mirror: string, upstream: TrackedUpstream, shas: string[]): Promise<string[]> {
    if ((await this.missing(mirror, shas)).length === 0) return [];
    await this.fetchBranch(mirror, upstream);
    const stillMissing = await this.missing(mirror, shas);
    if (stillMissing.length === 0) return [];
    // Servers refuse unadvertised shas unless configured to allow them; that refusal is the answer we want.
    await this.fromUpstream(upstream.scmRepo, (remote) => runGit([...this.fetchArgs(remote.url), ...stillMissing], remote.options), mirror);
    return this.missing(mirror, stillMissing);
  }

  private fetchArgs(url: string): string[] {
    return ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', url];
  }

  private async fetchBranch(mirror: string, upstream: TrackedUpstream): Promise<void> {
    const branch = upstream.scmBranch;
    await this.fromUpstream(
      upstream.scmRepo,
      (remote) => runGitOk([...this.fetchArgs(remote.url), `+refs/heads/${branch}:refs/heads/${branch}`], remote.options),
      mirror,
    );
  }

  private async missing(mirror: string, shas: string[]): Promise<string[]> {
    const absent: string[] = [];
    for (const sha of new Set(shas)) {
      const r = await runGit(['cat-file', '-e', `${sha}^{commit}`], this.opts(mirror));
      if (r.exitCode !== 0) absent.push(sha);
    }
    return absent;
  }

  private async readCommits(mirror: string, from: string, to: string, url: string): Promise<Omit<GitCommit, 'patch'>[]> {
    const format = ['%H', '%P', '%T', '%an', '%ae', '%at', '%ct', '%s', '%B'].join('%x1f');
    const out = await runGitOk(
      ['log', '-z', '--reverse', '--topo-order', '--no-merges', '--encoding=UTF-8', `--format=${format}`, `${from}..${to}`, '--'],
      this.opts(mirror),
    );
    const rows = out
      .toString('utf8')
      .split('\0')
      .filter((r) => r !== '')
      .map((record) => {
        const [sha, parents, tree, an, ae, at, ct, subject, ...message] = record.split('\x1f');
        return {
          sha: sha!,
          parents: parents ? parents.split(' ') : [],
          tree: tree!,
          authorName: an!,
          authorEmail: ae!,
          authorDate: isoUtc(at!),
          committerDate: isoUtc(ct!),
          subject: subject!,
          message: message.join('\x1f'),
          url: commitWebUrl(url, sha!),
        };
      });
    const parentTrees = await this.trees(mirror, rows.map((r) => r.parents[0]).filter((p): p is string => !!p));
    const emptyTree = rows.some((r) => r.parents.length === 0)
      ? (await runGitOk(['hash-object', '-t', 'tree', '/dev/null'], this.opts(mirror))).toString().trim()
      : '';
    return rows.map(({ tree, ...r }) => ({
      ...r,
      empty: tree === (r.parents[0] ? parentTrees.get(r.parents[0]) : emptyTree),
    }));
  }

  private async trees(mirror: string, commits: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(commits)];
    if (unique.length === 0) return new Map();
    const out = await runGitOk(['rev-parse', ...unique.map((c) => `${c}^{tree}`)], this.opts(mirror));
    const trees = out.toString('utf8').trim().split('\n');
    return new Map(unique.map((c, i) => [c, trees[i]!]));
  }

  /**
   * One `git format-patch` for the whole range (not one process per commit), split at each commit's
   * `From <sha>` line. `-N` keeps
   * subjects `[PATCH]` as `format-patch -1 <sha>` would write them, so each piece is byte-identical
   * to the single-commit output. `--always` keeps empty commits, which format.ts then leaves out.
   */
  private async formatPatches(mirror: string, from: string, to: string, shas: string[]): Promise<Map<string, string>> {
    const out = await runGitOk(
      ['format-patch', '--stdout', '-N', '--always', `${from}..${to}`, '--'],
      this.opts(mirror),
    );
    const text = decodeUtf8(out, `${from}..${to}`);
    const wanted = new Set(shas);
    const starts: { sha: string; at: number }[] = [];
    const header = /^From ([0-9a-f]{40}(?:[0-9a-f]{24})?) Mon Sep 17 00:00:00 2001$/gm;
    for (const m of text.matchAll(header)) {
      const sha = m[1]!;
      if (wanted.delete(sha)) starts.push({ sha, at: m.index });
    }
    if (wanted.size > 0) {
      throw new AppError('patch_missing', `git format-patch produced no patch for commit ${[...wanted][0]}`);
    }
    const patches = new Map<string, string>();
    starts.forEach((s, i) => {
      const next = starts[i + 1];
      // git prints one newline before every commit but the first; it is not part of the patch
      patches.set(s.sha, next ? text.slice(s.at, next.at - 1) : text.slice(s.at));
    });
    return patches;
  }
}

function commitNotFound(upstream: TrackedUpstream, sha: string): AppError {
  return new AppError(
    'commit_not_found',
    `commit ${sha} is not on branch "${upstream.scmBranch}" of ${publicUrl(upstream.scmRepo)} (any more): ` +
      'the branch was probably force-pushed since its head was read; the next scan will use the new head',
  );
}

function notAncestor(upstream: TrackedUpstream, from: string, to: string): AppError {
  return new AppError(
    'not_ancestor',
    `scm_commit ${from} is not an ancestor of ${to}, the head of branch "${upstream.scmBranch}" of ` +
      `${publicUrl(upstream.scmRepo)}: the branch was rewritten (force-pushed) or scm_commit belongs to another ` +
      'branch. Nothing was published; set scm_commit to a commit of the current branch to resume.',
  );
}

/** Non-UTF-8 bytes in a patch (a Latin-1 source file) cannot survive the text-only publishing path. */
function decodeUtf8(bytes: Buffer, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new AppError(
      'patch_not_utf8',
      `the patches of ${what} contain bytes that are not UTF-8 (a file in another encoding); they cannot be published as text`,
    );
  }
}

function assertSha(sha: string, field: string): void {
  if (sha === '' && field === 'from') {
    throw new AppError(
      'invalid_sha',
      'scm_commit is empty: there is no range yet (a new tracking starts at the current head, publishing nothing)',
      { field },
    );
  }
  if (!SHA_RE.test(sha)) {
    throw new AppError('invalid_sha', `${field} must be a full lowercase commit sha, got ${JSON.stringify(sha)}`, { field });
  }
}

function isoUtc(unixSeconds: string): string {
  return new Date(Number(unixSeconds) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
