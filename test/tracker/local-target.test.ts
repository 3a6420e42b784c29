/**
 * Trying the bot without a forge: a tracking whose target is a local packaging repository dry-runs with
 * no token at all (commits, patch contents, the edited spec, the texts), and a real scan of it is blocked
 * with the reason before anything is recorded.
 */
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publication, tracking } from '../../src/db/schema/index.js';
import { upsertTracking } from '../../src/db/trackings.js';
import { createForges } from '../../src/forges/resolve.js';
import { createLogger } from '../../src/log.js';
import { GitSource } from '../../src/sources/git.js';
import { Engine } from '../../src/tracker/engine.js';
import { createTestDatabase } from '../helpers/db.js';
import { LOCAL_UPSTREAMS_ALLOWED, createUpstreamRepo, makeTempDir, removeTempDirs, type TestRepo } from '../helpers/git-repo.js';

const SPEC = `Name: hello
Version: 1.0
Release: 1
Summary: hello
License: MIT
Source0: hello-1.0.tar.gz

%description
hello

%prep
%autosetup -p1

%changelog
* Mon Jan 01 2024 Someone <someone@example.org> - 1.0-1
- first
`;

let handle: Awaited<ReturnType<typeof createTestDatabase>>;
let upstream: TestRepo;
let target: TestRepo;

function engine(): Engine {
  return new Engine({
    db: handle.db,
    logger: createLogger('silent'),
    forges: createForges({}),
    sources: { git: new GitSource({ upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, dataDir: makeTempDir('pt-data-') }) },
    unavailable: {},
    publish: { specEdit: 'auto', botName: 'patch-tracking', botEmail: 'bot@example.org' },
    maxPatchesPerPr: 100,
    now: () => new Date(Date.UTC(2026, 10, 21, 12, 0, 0)),
  });
}

async function addTracking(repo: string, enabled = false) {
  const { row } = await upsertTracking(handle.db, {
    versionControl: 'git',
    scmRepo: upstream.url,
    scmBranch: 'main',
    scmCommit: upstream.head(),
    repo,
    branch: 'master',
    enabled,
  });
  return row;
}

beforeEach(async () => {
  handle = await createTestDatabase();
  upstream = createUpstreamRepo();
  target = createUpstreamRepo({ branch: 'master', name: 'hello' });
  target.commit('hello 1.0', { files: { 'hello.spec': SPEC } });
});
afterEach(() => handle.close());
afterAll(() => removeTempDirs());

describe('a local target', () => {
  it('dry-runs without any token: every file of the commit with its content, the spec diff and the texts', async () => {
    const t = await addTracking(target.url);
    const sha = upstream.commit('fix the answer', { files: { 'src/lib.c': 'int a;\nint b = 42;\nint c;\n' } });
    const refsBefore = target.git('for-each-ref');
    const result = await engine().scanNow(t.id, { dryRun: true });
    expect(result.action).toBe('dry_run');
    if (result.action !== 'dry_run') return;
    const [chunk] = result.chunks;
    expect(chunk!.commits).toEqual([{ sha, subject: 'fix the answer' }]);
    expect(chunk!.patch_files).toEqual([`${sha}.patch`]);
    expect(chunk!.files.map((f) => f.path)).toEqual([`${sha}.patch`, 'hello.spec']);
    expect(chunk!.files[0]!.content).toBe(upstream.formatPatch(sha));
    expect(chunk!.files[1]!.content).toContain(`Patch6000: ${sha}.patch`);
    expect(chunk!.spec_diff).toContain('-Release: 1\n+Release: 2');
    expect(chunk!.pr_body).toContain('Issue: <issue>');
    expect(target.git('for-each-ref')).toBe(refsBefore);
    expect((await handle.db.select().from(tracking).where(eq(tracking.id, t.id)))[0]!.scmCommit).not.toBe(sha);
  });

  it('blocks a real scan with the reason, before any publication is recorded', async () => {
    // enabled: a paused tracking is refused before the target is even looked at
    const t = await addTracking(target.dir, true);
    upstream.commit('one', { files: { o: '1\n' } });
    await expect(engine().scanNow(t.id)).rejects.toMatchObject({ code: 'local_target_read_only' });
    const [row] = await handle.db.select().from(tracking).where(eq(tracking.id, t.id));
    expect(row).toMatchObject({ status: 'blocked', lastError: expect.stringContaining('read-only and serves dry runs only') });
    expect(await handle.db.select().from(publication)).toEqual([]);
  });
});
