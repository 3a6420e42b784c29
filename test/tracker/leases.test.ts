/**
 * Replicas sharing one database: short leases kept alive by a heartbeat, a dead replica's work resumed within
 * one lease, a restarted replica taking its own leases back at once, the queue shared out between replicas,
 * and a log that names the replica which published.
 */
import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { tracking } from '../../src/db/schema/index.js';
import { upsertTracking } from '../../src/db/trackings.js';
import { createLogger, type Logger } from '../../src/log.js';
import { Engine, type EngineOptions } from '../../src/tracker/engine.js';
import { createTestDatabase } from '../helpers/db.js';
import { FakeForge, fakeForges } from '../helpers/fake-forge.js';
import { FakeSource } from '../helpers/fake-source.js';

const SPEC = 'Name: lib\nVersion: 1.2\nRelease: 3\nSummary: test\nLicense: MIT\nSource0: lib-1.2.tar.gz\n\n%description\ntest\n\n%prep\n%setup -q\n\n%changelog\n* Mon Jan 01 2024 Someone <someone@example.org> - 1.2-2\n- older\n';

let handle: Awaited<ReturnType<typeof createTestDatabase>>;
let forge: FakeForge;
let source: FakeSource;
const extraHandles: DatabaseHandle[] = [];

beforeEach(async () => {
  handle = await createTestDatabase();
  forge = new FakeForge({ 'lib.spec': SPEC });
  source = new FakeSource('git');
});
afterEach(async () => {
  for (const h of extraHandles.splice(0)) await h.close().catch(() => {});
  await handle.close();
});

/** A replica: its own connection pool, as a separate process would have. */
async function replica(owner: string, overrides: Partial<EngineOptions> = {}): Promise<{ engine: Engine; db: DatabaseHandle }> {
  const db = await openDatabase({ databaseUrl: handle.url, maxConnections: 4 });
  extraHandles.push(db);
  const engine = new Engine({
    db: db.db,
    logger: createLogger('silent'),
    forges: fakeForges(forge),
    sources: { git: source },
    unavailable: {},
    publish: { specEdit: 'auto', botName: 'patch-tracking', botEmail: 'bot@example.org' },
    maxPatchesPerPr: 100,
    owner,
    concurrency: 4,
    ...overrides,
  });
  return { engine, db };
}

/** `count` trackings, each with one new upstream commit to publish. */
async function moved(count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const url = `https://up.example/r${i}.git`;
    const base = source.push(url, 'main', 1);
    const { row } = await upsertTracking(handle.db, { versionControl: 'git', scmRepo: url, scmBranch: 'main', scmCommit: base, repo: `src-openeuler/r${i}`, branch: 'master', enabled: true });
    ids.push(row.id);
    source.push(url, 'main', 1);
  }
  return ids;
}

/** A logger whose JSON lines are kept. */
function capturingLogger(lines: Record<string, unknown>[]): Logger {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return createLogger('info', stream);
}

const get = async (id: number) => (await handle.db.select().from(tracking).where(eq(tracking.id, id)))[0]!;

describe('leases', () => {
  it('three replicas share 40 trackings: each range published once, no replica above twice its share, the log names who published', async () => {
    await moved(40);
    const lines: Record<string, unknown>[] = [];
    const logger = capturingLogger(lines);
    // a forge that answers in a few ms, as a fast one does
    const create = forge.createIssue.bind(forge);
    forge.createIssue = async (repo, input) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return create(repo, input);
    };
    const replicas = await Promise.all(['replica-a', 'replica-b', 'replica-c'].map((name) => replica(name, { logger })));
    await Promise.all(replicas.map((r) => r.engine.runCycle()));

    expect(forge.pulls).toHaveLength(40);
    expect(new Set(forge.pulls.map((p) => p.head)).size).toBe(40);
    const published = lines.filter((l) => l.msg === 'tracking run done' && l.action === 'published');
    expect(published).toHaveLength(40);
    const perReplica = new Map<string, number>();
    for (const l of published) perReplica.set(String(l.engine), (perReplica.get(String(l.engine)) ?? 0) + 1);
    expect([...perReplica.keys()].sort()).toEqual(['replica-a', 'replica-b', 'replica-c']);
    for (const n of perReplica.values()) expect(n).toBeLessThanOrEqual(Math.floor((2 * 40) / 3));
  });

  it('keeps a lease alive while a step outlasts it, so no other replica runs the tracking beside it', async () => {
    const [id] = await moved(1);
    const create = forge.createIssue.bind(forge);
    forge.createIssue = async (repo, input) => {
      // three lease lengths in one step
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      return create(repo, input);
    };
    const a = await replica('replica-a', { leaseMs: 500 });
    const b = await replica('replica-b', { leaseMs: 500 });
    const first = a.engine.runCycle();
    while ((await get(id!)).leaseOwner === null) await new Promise((resolve) => setTimeout(resolve, 20));
    const deadline = Date.now() + 1_200;
    while (Date.now() < deadline) {
      expect(await b.engine.processQueue()).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await first;
    expect(forge.issues).toHaveLength(1);
    expect(forge.pulls).toHaveLength(1);
  });

  it("resumes a dead replica's work within one lease (its heartbeat stops with its connections)", async () => {
    const [id] = await moved(1);
    const create = forge.createIssue.bind(forge);
    let hang: (err: Error) => void = () => {};
    let calls = 0;
    forge.createIssue = async (repo, input) => {
      // the first replica dies in the middle of opening the issue
      if (calls++ === 0) return new Promise((_resolve, reject) => (hang = reject));
      return create(repo, input);
    };
    const dead = await replica('replica-dead', { leaseMs: 1_000 });
    const deadRun = dead.engine.runCycle().catch(() => {});
    while ((await get(id!)).leaseOwner !== 'replica-dead') await new Promise((resolve) => setTimeout(resolve, 20));
    while (calls === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await dead.db.close();
    const killedAt = Date.now();

    const survivor = await replica('replica-live', { leaseMs: 1_000 });
    let processed = 0;
    while (processed === 0 && Date.now() - killedAt < 10_000) {
      processed = await survivor.engine.processQueue();
      if (processed === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const resumedAfter = Date.now() - killedAt;
    expect(processed).toBe(1);
    expect(resumedAfter).toBeLessThan(3_000);
    expect(forge.pulls).toHaveLength(1);
    expect(await get(id!)).toMatchObject({ status: 'ok', leaseOwner: null, queuedAt: null });
    hang(new Error('the process is gone'));
    await deadRun;
  });

  it('a restarted replica takes the leases its name still holds back at once', async () => {
    const [id] = await moved(1);
    // the replica claimed it with a long lease and was restarted
    await handle.db.update(tracking).set({ queuedAt: new Date(), leaseOwner: 'replica-a', leaseExpiresAt: new Date(Date.now() + 10 * 60_000), status: 'running' }).where(eq(tracking.id, id!));
    const other = await replica('replica-b');
    expect(await other.engine.processQueue()).toBe(0);

    const restarted = await replica('replica-a');
    expect(await restarted.engine.releaseLeftoverLeases()).toBe(1);
    expect(await restarted.engine.processQueue()).toBe(1);
    expect(forge.pulls).toHaveLength(1);
    expect((await get(id!)).status).toBe('ok');
  });
});
