/**
 * A small world for lifecycle tests: a database, an in-memory forge and upstream, the real engine with the
 * lifecycle's run hooks, and the lifecycle itself (forge extras faked in memory: permissions, bodies, labels).
 */
import { eq, sql } from 'drizzle-orm';
import { issue, publication, tracking } from '../../src/db/schema/index.js';
import { upsertTracking } from '../../src/db/trackings.js';
import type { CheckReport, ForgeExtras, Permission } from '../../src/lifecycle/extras.js';
import { Lifecycle } from '../../src/lifecycle/index.js';
import { extendOpenPull } from '../../src/lifecycle/update-open.js';
import { createLogger } from '../../src/log.js';
import type { ForgeRepo } from '../../src/forges/types.js';
import { Engine } from '../../src/tracker/engine.js';
import type { RunHooks } from '../../src/tracker/run.js';
import { createTestDatabase } from '../helpers/db.js';
import { FakeForge, fakeForges } from '../helpers/fake-forge.js';
import { FakeSource } from '../helpers/fake-source.js';

export const SPEC = `Name: lib
Version: 1.2
Release: 3
Summary: test
License: MIT
Source0: lib-1.2.tar.gz

%description
test

%prep
%setup -q

%changelog
* Mon Jan 01 2024 Someone <someone@example.org> - 1.2-2
- older
`;

export class FakeExtras implements ForgeExtras {
  readonly permissions = new Map<string, Permission>();
  readonly permissionAsked: string[] = [];
  readonly labels: { pull: string; label: string }[] = [];
  readonly checks: { sha: string; pull: string; report: CheckReport }[] = [];

  constructor(private readonly forge: FakeForge) {}

  async permission(_repo: ForgeRepo, user: string): Promise<Permission> {
    this.permissionAsked.push(user);
    return this.permissions.get(user) ?? 'none';
  }
  async updateIssueBody(_repo: ForgeRepo, id: string, body: string) {
    const found = this.forge.issues.find((i) => i.id === id);
    if (!found) throw new Error(`no issue ${id}`);
    found.body = body;
  }
  async updatePullBody(_repo: ForgeRepo, number: string, body: string) {
    const found = this.forge.pulls.find((p) => p.number === number);
    if (!found) throw new Error(`no pull ${number}`);
    found.body = body;
  }
  async addPullLabel(_repo: ForgeRepo, pull: string, label: string) {
    this.labels.push({ pull, label });
  }
  async reportCheck(_repo: ForgeRepo, target: { sha: string; pull: string }, report: CheckReport) {
    this.checks.push({ ...target, report });
    return 'comment' as const;
  }
}

export const UPSTREAM = 'https://git.example.org/lib.git';
export const REPO: ForgeRepo = { forge: 'gitee', owner: 'src-openeuler', name: 'lib', webUrl: 'https://gitee.com/src-openeuler/lib' };

/** One database per test file (migrating one takes seconds); createWorld empties it. */
export type WorldDb = Awaited<ReturnType<typeof createTestDatabase>>;
export const openWorldDb = createTestDatabase;

export async function createWorld(handle: WorldDb, options: { updateOpenPr?: boolean; onPublished?: RunHooks['onPublished'] } = {}) {
  const db = handle.db;
  await db.execute(sql`truncate tracking, issue, publication, webhook_delivery restart identity cascade`);
  const logger = createLogger('silent');
  const forge = new FakeForge({ 'lib.spec': SPEC });
  const source = new FakeSource('git');
  const extras = new FakeExtras(forge);
  const forges = fakeForges(forge);
  const parts = { forges, sources: { git: source }, unavailable: {} };
  const publish = { specEdit: 'auto' as const, botName: 'patch-tracking', botEmail: 'bot@example.org' };
  const now = () => new Date(Date.UTC(2026, 10, 21, 23, 20, 21, 744));
  const engine = new Engine({
    db,
    logger,
    ...parts,
    publish,
    maxPatchesPerPr: 100,
    now,
    hooks: {
      ...(options.updateOpenPr ? { extendOpen: extendOpenPull({ db, logger, ...parts, extras: () => extras, publish, now }) } : {}),
      onPublished: options.onPublished,
    },
  });
  const kicked: Promise<number>[] = [];
  const lifecycle = new Lifecycle({ db, logger, ...parts, extras: () => extras, publish, engine, now, kick: () => kicked.push(engine.processQueue()) });

  const start = source.push(UPSTREAM, 'main', 1);
  const { row: t } = await upsertTracking(db, { versionControl: 'git', scmRepo: UPSTREAM, scmBranch: 'main', scmCommit: start, repo: 'src-openeuler/lib', branch: 'master', enabled: true });

  return {
    handle,
    db,
    forge,
    source,
    extras,
    engine,
    lifecycle,
    kicked,
    t,
    tracking: async () => (await db.select().from(tracking).where(eq(tracking.id, t.id)))[0]!,
    issues: () => db.select().from(issue).orderBy(issue.id),
    publications: () => db.select().from(publication).orderBy(publication.id),
    /** upstream gains `n` commits and the engine scans now */
    async advance(n: number) {
      source.push(UPSTREAM, 'main', n);
      return engine.scanNow(t.id);
    },
  };
}

export type World = Awaited<ReturnType<typeof createWorld>>;
