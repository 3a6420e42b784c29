import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCiPublishHook, onRangePublished, onSeriesCompleted, runPendingSeriesCi, type CiHookDeps } from '../../src/ci/publish-hook.js';
import { resolveForgeRepo } from '../../src/forges/resolve.js';
import type { ForgeRepo } from '../../src/forges/types.js';
import { createProject } from '../../src/mail/store/projects.js';
import { corpusMessages } from '../mail/corpus.js';
import { upsertTracking } from '../../src/db/trackings.js';
import { runTracking } from '../../src/tracker/run.js';
import { fakeForges } from '../helpers/fake-forge.js';
import { FakeSource } from '../helpers/fake-source.js';
import { FakeForge } from '../helpers/fake-forge.js';
import { ciCursor } from '../../src/db/schema/index.js';
import { GIT, testGitEnv } from '../helpers/git-repo.js';
import { insertPublishedRange } from '../checks/fixtures.js';
import { createIntegrationApi, NO_CI } from '../patchwork/integration-api.js';

type Api = Awaited<ReturnType<typeof createIntegrationApi>>;
let api: Api;
let root: string;

class RecordingForge extends FakeForge {
  readonly comments: Array<{ target: string; body: string }> = [];
  override async comment(repo: ForgeRepo, target: { kind: 'issue' | 'pull'; id: string }, body: string) {
    this.comments.push({ target: `${target.kind} ${target.id}`, body });
    return super.comment(repo, target, body);
  }
}

async function script(name: string, body: string): Promise<string> {
  const file = join(root, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

async function deps(handler: string, forge: FakeForge, dataDir: string): Promise<CiHookDeps> {
  await mkdir(dataDir, { recursive: true });
  return {
    db: api.db,
    settings: { ...NO_CI, ciHandler: handler, ciDataDir: dataDir, ciHandlerTimeout: 10 },
    logger: api.logger,
    forges: { resolve: (r) => resolveForgeRepo(r), forRepo: () => forge },
  };
}

const PATCH = 'From 1234 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] fix the build\n\n---\ndiff --git a/x b/x\n';

async function forgeWithPatch(tempBranch: string) {
  const forge = new RecordingForge({ 'foo.spec': 'Name: foo\n' });
  const repo = resolveForgeRepo('src-openeuler/foo');
  await forge.createBranch(repo, tempBranch, 'master');
  await forge.commitFiles(repo, tempBranch, 'patches', [{ path: '0001-fix-the-build.patch', content: PATCH }]);
  return forge;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pt-ci-hook-'));
  api = await createIntegrationApi();
});
afterAll(async () => {
  await api?.close();
  await rm(root, { recursive: true, force: true });
});

describe('onRangePublished', () => {
  it('sends the range and its patch files to the handler; its result becomes a range check and a PR comment', async () => {
    const { tracking, publication } = await insertPublishedRange(api.db);
    const forge = await forgeWithPatch(publication.tempBranch);
    const handler = await script(
      'ok.sh',
      `cp "$1/request.manifest" ${root}/seen.manifest; cp "$1/0001-fix-the-build.patch" ${root}/seen.patch\nprintf ": 1\\nstatus: 200\\nmessage: all good\\nreference: run-42\\nstate: success\\nurl: https://ci.example.org/run/42\\n"`,
    );
    const dataDir = join(root, 'ok');
    const result = await onRangePublished(await deps(handler, forge, dataDir), tracking, publication);
    expect(result).toMatchObject({ status: 200, message: 'all good', reference: 'run-42' });

    const request = await readFile(join(root, 'seen.manifest'), 'utf8');
    expect(request).toContain('\nrepository: https://gitee.com/src-openeuler/foo.git\npackage: foo\n');
    for (const line of ['kind: range', `tracking: ${tracking.id}`, `range: ${publication.id}`, `base: ${publication.rangeFrom}`, `head: ${publication.rangeTo}`, `branch: ${publication.tempBranch}`, `pr: ${publication.prUrl}`]) {
      expect(request).toContain(`\n${line}\n`);
    }
    expect(await readFile(join(root, 'seen.patch'), 'utf8')).toBe(PATCH);

    const range = (await (await api.app.request(`/api/v1/ranges/${publication.id}`)).json()) as any;
    expect(range.check).toBe('success');
    expect(range.checks[0]).toMatchObject({ context: 'ci', user: 'ci-handler', target_url: 'https://ci.example.org/run/42', description: '200 all good' });
    expect(forge.comments).toEqual([{ target: 'pull 7', body: expect.stringContaining('CI (ci): **success**') }]);
    const events = (await (await api.app.request(`/api/v1/events?range=${publication.id}`)).json()) as any[];
    expect(events.map((e) => e.category)).toEqual(['range-published', 'range-check-created']);
  });

  it('a crashing handler: a fail check, the directory kept as <id>.fail.0, the PR told', async () => {
    const { tracking, publication } = await insertPublishedRange(api.db);
    const forge = await forgeWithPatch(publication.tempBranch);
    const handler = await script('crash.sh', 'echo oops >&2; exit 3');
    const dataDir = join(root, 'crash');
    const result = await onRangePublished(await deps(handler, forge, dataDir), tracking, publication);
    expect(result?.status).toBe(500);
    const dirs = await readdir(dataDir);
    expect(dirs).toHaveLength(1);
    expect(dirs[0]).toMatch(/\.fail\.0$/);
    const range = (await (await api.app.request(`/api/v1/ranges/${publication.id}`)).json()) as any;
    expect(range.check).toBe('fail');
    expect(range.checks[0].description).toContain('exited with code 3');
    expect(forge.comments[0]!.body).toContain('**fail**');
  });

  it('as the engine hook: the event is recorded at once, the handler runs in the background', async () => {
    const { tracking, publication } = await insertPublishedRange(api.db);
    const forge = await forgeWithPatch(publication.tempBranch);
    const handler = await script('slow.sh', 'sleep 1; printf ": 1\\nstatus: 200\\nmessage: queued\\n"');
    const hook = createCiPublishHook(await deps(handler, forge, join(root, 'slow')));
    const started = Date.now();
    await hook.onPublished(tracking, publication);
    expect(Date.now() - started).toBeLessThan(900);
    const events = async () => ((await (await api.app.request(`/api/v1/events?range=${publication.id}`)).json()) as any[]).map((e) => e.category);
    expect(await events()).toEqual(['range-published']);
    await hook.idle();
    expect(await events()).toEqual(['range-published', 'range-check-created']);
    expect(forge.comments).toHaveLength(1);
  });

  it('a patch file missing from the branch is an error, not a request without patches', async () => {
    const { tracking, publication } = await insertPublishedRange(api.db);
    const forge = new RecordingForge();
    await expect(onRangePublished(await deps(await script('never.sh', 'exit 0'), forge, join(root, 'missing')), tracking, publication)).rejects.toThrow(/is not on/);
    expect(await readdir(join(root, 'missing'))).toEqual([]);
  });
});

describe('complete mail series', () => {
  it('sends the series patches as git-am-able files and records a check on each patch', async () => {
    await createProject(api.db, { linkName: 'demo', listId: 'demo.example.org', scmUrl: 'https://git.example.org/demo.git' });
    const raws = await corpusMessages('series/base-cover-letter.mbox');
    await api.store.storeBatch(raws.map((raw) => ({ raw, listId: 'demo.example.org' })));
    const seen = join(root, 'series-seen');
    const handler = await script('series.sh', `mkdir -p ${seen}; cp "$1"/* ${seen}/\nprintf ": 1\\nstatus: 200\\nmessage: queued\\n"`);
    const forge = new RecordingForge();
    const d = await deps(handler, forge, join(root, 'series'));
    expect(await runPendingSeriesCi(d)).toBe(1);
    const files = (await readdir(seen)).sort();
    expect(files).toEqual(['0001-test-Add-some-lorem-ipsum.patch', '0002-test-Convert-to-Markdown.patch', 'request.manifest']);
    const manifest = await readFile(join(seen, 'request.manifest'), 'utf8');
    expect(manifest).toContain('\nrepository: https://git.example.org/demo.git\n');
    expect(manifest).toContain('\nkind: series\nseries: 1\nproject: demo\nversion: 1\nname: A sample series\n');
    // the files are mbox messages `git mailinfo` reads: author, subject and the diff
    const info = execFileSync(GIT, ['mailinfo', join(root, 'msg'), join(root, 'patch')], { input: await readFile(join(seen, files[0]!)), env: testGitEnv, encoding: 'utf8' });
    expect(info).toContain('Subject: test: Add some lorem ipsum');
    expect(await readFile(join(root, 'patch'), 'utf8')).toContain('diff --git a/test.txt b/test.txt');

    const checks = (await (await api.app.request('/api/v1/checks?series=1')).json()) as any[];
    expect(checks.map((c) => [c.patch, c.state, c.context])).toEqual([
      [1, 'pending', 'ci'],
      [2, 'pending', 'ci'],
    ]);
    expect(forge.comments).toEqual([]);
    // the cursor moved past the event, and the series is claimed: nothing runs twice, even from another replica
    expect(await runPendingSeriesCi(d)).toBe(0);
    await api.db.delete(ciCursor);
    expect(await runPendingSeriesCi(d)).toBe(0);
    expect((await (await api.app.request('/api/v1/checks?series=1')).json()) as any[]).toHaveLength(2);
  });

  it('without CI_DATA_DIR, or for a project without scm_url, nothing runs', async () => {
    const d = await deps('/bin/false', new RecordingForge(), join(root, 'none'));
    expect(await onSeriesCompleted({ ...d, settings: NO_CI }, 1)).toBeNull();
    await createProject(api.db, { linkName: 'noscm', listId: 'noscm.example.org' });
    api.store.invalidateProjects();
    const raws = await corpusMessages('series/base-single-patch.mbox');
    const outs = await api.store.storeBatch(raws.map((raw) => ({ raw, listId: 'noscm.example.org' })));
    const stored = outs.find((o) => o.status === 'patch') as { seriesId: number };
    expect(await onSeriesCompleted(d, stored.seriesId)).toBeNull();
    expect(await readdir(join(root, 'none'))).toEqual([]);
  });
});

describe('wired into the engine', () => {
    it('runTracking → onPublished → CI handler → range check, PR comment and events', async () => {
    const source = new FakeSource('git');
    const start = source.push('https://git.example.org/up/lib.git', 'main', 1);
    const head = source.push('https://git.example.org/up/lib.git', 'main', 2);
    const { row: t } = await upsertTracking(api.db, {
      versionControl: 'git',
      scmRepo: 'https://git.example.org/up/lib.git',
      scmBranch: 'main',
      scmCommit: start,
      repo: 'src-openeuler/lib',
      branch: 'master',
      enabled: true,
    });
    const forge = new FakeForge();
    const seen = join(root, 'seen');
    const handler = join(root, 'handler.sh');
    await writeFile(handler, `#!/bin/sh\nmkdir -p ${seen}; cp "$1"/* ${seen}/\nprintf ': 1\\nstatus: 200\\nmessage: 2 patches built\\nreference: https://ci.example.org/b/1\\nstate: success\\n'\n`);
    await chmod(handler, 0o755);
    const dataDir = join(root, 'data');
    await mkdir(dataDir);
    const hook = createCiPublishHook({
      db: api.db,
      settings: { ...NO_CI, ciHandler: handler, ciDataDir: dataDir, ciHandlerTimeout: 10 },
      logger: api.logger,
      forges: { resolve: (r) => resolveForgeRepo(r), forRepo: () => forge },
    });

    const result = await runTracking(
      {
        db: api.db,
        logger: api.logger,
        forges: fakeForges(forge),
        sources: { git: source },
        unavailable: {},
        publish: { specEdit: 'auto', botName: 'patch-tracking', botEmail: 'bot@example.org' },
        maxPatchesPerPr: 100,
        hooks: { onPublished: hook.onPublished },
      },
      t,
    );
    expect(result.action).toBe('published');
    await hook.idle();

    const files = (await readdir(seen)).sort();
    const patches = files.filter((f) => f.endsWith('.patch'));
    expect(patches).toHaveLength(2);
    const manifest = await readFile(join(seen, 'request.manifest'), 'utf8');
    expect(manifest).toContain(`\nbase: ${start}\nhead: ${head}\n`);
    expect(manifest).toContain('\nrepository: https://gitee.com/src-openeuler/lib.git\npackage: lib\n');
    // the files are the ones the PR branch holds
    const branch = [...forge.branches.keys()].find((b) => b !== 'master')!;
    const onBranch = forge.branches.get(branch)!.files;
    for (const p of patches) expect(await readFile(join(seen, p), 'utf8')).toBe([...onBranch.entries()].find(([path]) => path.endsWith(p))![1]);

    const ranges = (await (await api.app.request(`/api/v1/checks?tracking=${t.id}`)).json()) as any[];
    expect(ranges).toEqual([expect.objectContaining({ context: 'ci', state: 'success', target_url: 'https://ci.example.org/b/1', description: '200 2 patches built' })]);
    expect(forge.writes.filter((w) => w.startsWith('comment pull'))).toHaveLength(1);
    const events = (await (await api.app.request(`/api/1.3/events/?tracking=${t.id}&order=date`)).json()) as any[];
    expect(events.map((e) => e.category)).toEqual(['range-published', 'range-check-created']);
    expect(events[0].payload.range).toMatchObject({ from: start, to: head, pr_url: expect.stringMatching(/^https?:\/\//) });
  });
});
