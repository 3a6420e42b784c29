/**
 * Exactly once, proven with a real crash: an engine in its own process publishes through the real Gitee
 * adapter to a local fake Gitee, and is killed with SIGKILL right after the forge applied one of its writes
 * (the answer never arrives). A second engine then takes over the expired lease and finishes: one branch,
 * one commit, one issue, one PR, and scm_commit at the end of the range.
 * Needs a database two processes can share: runs with TEST_DATABASE_URL (PostgreSQL).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { issue, tracking } from '../../src/db/schema/index.js';
import { upsertTracking } from '../../src/db/trackings.js';
import { createForges } from '../../src/forges/resolve.js';
import { createLogger } from '../../src/log.js';
import { GitSource } from '../../src/sources/git.js';
import { Engine } from '../../src/tracker/engine.js';
import { createTestDatabase } from '../helpers/db.js';
import { FakeGitee } from '../helpers/fake-servers.js';
import { LOCAL_UPSTREAMS_ALLOWED, createUpstreamRepo, makeTempDir, removeTempDirs } from '../helpers/git-repo.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SPEC = 'Name: lib\nVersion: 1.0\nRelease: 1\nSummary: s\nLicense: MIT\nSource0: lib.tar.gz\n\n%description\nd\n\n%prep\n%autosetup -p1\n\n%changelog\n* Mon Jan 01 2024 A <a@b.c> - 1.0-1\n- init\n';

afterAll(() => removeTempDirs());

const STEPS: [string, string][] = [
  ['creating the temp branch', '/repos/src-openeuler/lib/branches'],
  ['committing the files', '/repos/src-openeuler/lib/commits'],
  ['opening the issue', '/repos/src-openeuler/issues'],
  ['opening the PR', '/repos/src-openeuler/lib/pulls'],
];

describe('an engine process killed with SIGKILL mid-publication', () => {
  for (const [step, writePath] of STEPS) {
    it(`right after ${step}: the next engine resumes without duplicates`, async () => {
      const handle = await createTestDatabase();
      const gitee = await new FakeGitee(() => ({ 'lib.spec': SPEC })).start();
      try {
        const upstream = createUpstreamRepo();
        const { row } = await upsertTracking(handle.db, { versionControl: 'git', scmRepo: upstream.url, scmBranch: 'main', scmCommit: upstream.head(), repo: 'src-openeuler/lib', branch: 'master', enabled: true });
        upstream.commit('fix one', { files: { a: '1\n' } });
        const head = upstream.commit('fix two', { files: { b: '2\n' } });

        const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/engine-child.ts'], {
          cwd: ROOT,
          env: { ...process.env, DATABASE_URL: handle.url!, GITEE_API_URL: gitee.url, DATA_DIR: makeTempDir('pt-kill-') },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let killed = false;
        gitee.afterApply = (method, urlPath) => {
          if (killed || method !== 'POST' || !urlPath.endsWith(writePath)) return;
          killed = true;
          child.kill('SIGKILL');
          return 'hang';
        };
        const exit = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
        gitee.afterApply = undefined;
        expect(killed).toBe(true);
        expect(exit).toBe('SIGKILL');
        const written = gitee.log.filter((l) => l.startsWith('POST')).length;
        expect(written).toBe(STEPS.indexOf(STEPS.find(([s]) => s === step)!) + 1);

        // the dead replica's lease runs out; another engine picks the tracking up
        await handle.db.update(tracking).set({ leaseExpiresAt: sql`now() - interval '1 second'` }).where(eq(tracking.id, row.id));
        const survivor = new Engine({
          db: handle.db,
          logger: createLogger('silent'),
          sources: { git: new GitSource({ upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, dataDir: makeTempDir('pt-kill-') }) },
          unavailable: {},
          forges: createForges({ giteeAccessToken: 'survivor-token', giteeApiUrl: gitee.url }),
          publish: { specEdit: 'auto', botName: 'patch-tracking', botEmail: 'bot@example.org' },
          maxPatchesPerPr: 100,
        });
        expect(await survivor.processQueue()).toBe(1);

        const repo = gitee.repos.get('src-openeuler/lib')!;
        expect([...repo.branches.keys()].filter((b) => b.startsWith('patch-tracking/'))).toHaveLength(1);
        expect(gitee.log.filter((l) => l === 'POST /api/v5/repos/src-openeuler/lib/commits')).toHaveLength(1);
        expect(repo.issues).toHaveLength(1);
        expect(repo.pulls).toHaveLength(1);
        expect((await handle.db.select().from(tracking).where(eq(tracking.id, row.id)))[0]).toMatchObject({ scmCommit: head, status: 'ok' });
        expect(await handle.db.select().from(issue)).toHaveLength(1);
      } finally {
        await gitee.close();
        await handle.close();
      }
    });
  }
});
