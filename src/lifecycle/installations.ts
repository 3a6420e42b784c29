/**
 * When the GitHub App is installed on a repository, the engine talks to it with the installation's Octokit
 * instead of the personal token. Which installation covers a repository is learned from
 * installation_repositories events and asked with GET /repos/{o}/{r}/installation (app JWT), cached per
 * repository; the installation Octokits (Probot's: they renew their tokens) are cached per installation.
 */
import type { Octokit } from '@octokit/rest';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { InstallationAwareForge, type InstallationOctokits } from '../forges/installation-aware.js';
import type { Forges } from '../forges/resolve.js';
import { GitHubSource, parseGitHubRepo } from '../sources/github.js';
import type { HeadResult, Source, TrackedUpstream } from '../sources/types.js';
import type { EngineParts } from '../tracker/wiring.js';

/** Probot's `app.auth`: no id → the app (JWT) Octokit; an id → that installation's Octokit. */
export type AppAuth = (installationId?: number) => Promise<Octokit>;

const installationEvent = z.object({
  action: z.enum(['added', 'removed']),
  installation: z.object({ id: z.number() }),
  repositories_added: z.array(z.object({ full_name: z.string() })).optional(),
  repositories_removed: z.array(z.object({ full_name: z.string() })).optional(),
});

export class InstallationRegistry implements InstallationOctokits {
  private readonly byRepo = new Map<string, { id: number | null; until: number }>();
  private readonly octokits = new Map<number, Promise<Octokit>>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly auth: AppAuth,
    options: { ttlMs?: number; now?: () => number } = {},
  ) {
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** installation_repositories.added/removed */
  noteEvent(payload: unknown): void {
    const parsed = installationEvent.safeParse(payload);
    if (!parsed.success) return;
    const { installation, repositories_added: added = [], repositories_removed: removed = [] } = parsed.data;
    // events are authoritative until the next one: no expiry
    for (const r of added) this.byRepo.set(r.full_name.toLowerCase(), { id: installation.id, until: Infinity });
    for (const r of removed) this.byRepo.set(r.full_name.toLowerCase(), { id: null, until: Infinity });
  }

  async installationId(owner: string, name: string): Promise<number | null> {
    const key = `${owner}/${name}`.toLowerCase();
    const cached = this.byRepo.get(key);
    if (cached && cached.until > this.now()) return cached.id;
    let id: number | null = null;
    try {
      const app = await this.auth();
      const { data } = await app.request('GET /repos/{owner}/{repo}/installation', { owner, repo: name });
      id = (data as { id: number }).id;
    } catch (err) {
      if ((err as { status?: number }).status !== 404) throw err;
    }
    this.byRepo.set(key, { id, until: this.now() + this.ttlMs });
    return id;
  }

  /** the installation's Octokit, or null when the app is not installed on owner/name */
  async octokitFor(owner: string, name: string): Promise<Octokit | null> {
    const id = await this.installationId(owner, name);
    if (id === null) return null;
    let octokit = this.octokits.get(id);
    if (!octokit) {
      octokit = this.auth(id);
      this.octokits.set(id, octokit);
      octokit.catch(() => this.octokits.delete(id));
    }
    return octokit;
  }
}

/** github upstreams read through the installation where the app is installed (heads batched per installation). */
export class InstallationAwareSource implements Source {
  readonly kind = 'github';
  private readonly sources = new WeakMap<Octokit, Source>();

  constructor(
    private readonly registry: InstallationRegistry,
    private readonly fallback: Source | undefined,
    private readonly unavailable: string,
  ) {}

  private async pick(u: TrackedUpstream): Promise<Source | null> {
    let octokit: Octokit | null = null;
    try {
      const { owner, name } = parseGitHubRepo(u.scmRepo);
      octokit = await this.registry.octokitFor(owner, name);
    } catch {
      // an invalid scm_repo gets its error from the fallback source, as without the app
    }
    if (!octokit) return this.fallback ?? null;
    let source = this.sources.get(octokit);
    if (!source) {
      source = new GitHubSource({ octokit });
      this.sources.set(octokit, source);
    }
    return source;
  }

  async heads(upstreams: TrackedUpstream[]): Promise<Map<number, HeadResult>> {
    const groups = new Map<Source | null, TrackedUpstream[]>();
    for (const u of upstreams) {
      const source = await this.pick(u);
      groups.set(source, [...(groups.get(source) ?? []), u]);
    }
    const out = new Map<number, HeadResult>();
    for (const [source, group] of groups) {
      if (!source) {
        for (const u of group) out.set(u.id, { error: this.unavailable });
        continue;
      }
      for (const [id, result] of await source.heads(group)) out.set(id, result);
    }
    return out;
  }

  async range(upstream: TrackedUpstream, from: string, to: string) {
    const source = await this.pick(upstream);
    if (!source) throw new AppError('source_unavailable', this.unavailable);
    return source.range(upstream, from, to);
  }
}

/** The engine's parts with GitHub going through the app's installations where it is installed. */
export function withInstallations(parts: EngineParts, registry: InstallationRegistry): EngineParts {
  const unavailable = parts.unavailable.github ?? 'the GitHub App is not installed on this upstream';
  const forges: Forges = {
    resolve: parts.forges.resolve,
    forRepo: (repo) => (repo.forge === 'github' ? new InstallationAwareForge(registry, () => parts.forges.forRepo(repo)) : parts.forges.forRepo(repo)),
  };
  const { github: _removed, ...rest } = parts.unavailable;
  return {
    sources: { ...parts.sources, github: new InstallationAwareSource(registry, parts.sources.github, unavailable) },
    unavailable: rest,
    forges,
  };
}
