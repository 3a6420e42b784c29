/**
 * The engine publishing a range with the CI hook in place (as the service wires it): the handler gets the
 * range and the patch files the PR holds, and its answer comes back as a range check and a PR comment.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCiPublishHook } from '../../src/ci/publish-hook.js';
import { upsertTracking } from '../../src/db/trackings.js';
import { resolveForgeRepo } from '../../src/forges/resolve.js';
import { runTracking } from '../../src/tracker/run.js';
import { FakeForge, fakeForges } from '../helpers/fake-forge.js';
import { FakeSource } from '../helpers/fake-source.js';
import { createIntegrationApi, NO_CI } from '../patchwork/integration-api.js';

type Api = Awaited<ReturnType<typeof createIntegrationApi>>;
let api: Api;
let root: string;

beforeAll(async () => {
  api = await createIntegrationApi();
  root = await mkdtemp(join(tmpdir(), 'pt-ci-engine-'));
});
afterAll(async () => {
  await api?.close();
  await rm(root, { recursive: true, force: true });
});

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
