/**
 * A series made by `git format-patch`, stored through the mail store, downloaded from the series mbox
 * endpoint and applied with `git am` onto the base in a fresh clone: the tree and the authors come out
 * as in the original commits. With git-pw installed, `git pw patch list`, `git pw patch update` and
 * `git pw series apply` are run against the live service too.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/auth/tokens.js';
import { createProject } from '../../src/mail/store/projects.js';
import { createUpstreamRepo, GIT, makeTempDir, removeTempDirs, testGitEnv, type TestRepo } from '../helpers/git-repo.js';
import { TEST_PASSWORD, TEST_USER } from '../helpers/service.js';
import { createIntegrationApi } from './integration-api.js';

type Api = Awaited<ReturnType<typeof createIntegrationApi>>;
let api: Api;
let upstream: TestRepo;
let base: string;
let seriesId: number;

const git = (cwd: string, ...args: string[]) => execFileSync(GIT, args, { cwd, env: testGitEnv, encoding: 'utf8' });

function freshCloneAtBase(): string {
  const dir = join(makeTempDir('pt-am-'), 'clone');
  execFileSync(GIT, ['clone', '--quiet', upstream.url, dir], { env: testGitEnv });
  git(dir, 'checkout', '--quiet', '-b', 'test', base);
  return dir;
}

const log = (cwd: string, range: string) => git(cwd, 'log', '--reverse', '--format=%an <%ae>|%s|%b', range);

beforeAll(async () => {
  api = await createIntegrationApi();
  await createProject(api.db, { linkName: 'demo', listId: 'demo.example.org' });
  upstream = createUpstreamRepo();
  base = upstream.head();
  upstream.commit('lib: add d\n\nA longer explanation,\nover two lines.', { files: { 'src/lib.c': 'int a;\nint b;\nint c;\nint d;\n' } });
  upstream.commit('docs: café notes', { files: { 'NOTES.md': 'Crème brûlée: ✓\n' }, author: { name: 'Zoë Bâtisseur', email: 'zoe@example.org' } });
  upstream.commit('readme: drop the greeting', { files: { 'README.md': null, 'src/new.c': 'int main(void) { return 0; }\n' } });

  const out = makeTempDir('pt-fp-');
  upstream.git('format-patch', '--quiet', '--thread', '--cover-letter', '-o', out, `${base}..HEAD`);
  const files = readdirSync(out).sort();
  expect(files).toHaveLength(4);
  const outcomes = await api.store.storeBatch(files.map((f) => ({ raw: readFileSync(join(out, f)), listId: 'demo.example.org' })));
  expect(outcomes.map((o) => o.status)).toEqual(['cover', 'patch', 'patch', 'patch']);
  seriesId = (outcomes[1] as { seriesId: number }).seriesId;
});
afterAll(async () => {
  await api?.close();
  removeTempDirs();
});

describe('series mbox', () => {
  it('git am of the downloaded series mbox rebuilds the original tree, authors and messages', async () => {
    const res = await api.app.request(`/series/${seriesId}/mbox/`);
    expect(res.status).toBe(200);
    const clone = freshCloneAtBase();
    const file = join(clone, '..', 'series.mbox');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    git(clone, 'am', '--quiet', file);
    expect(git(clone, 'rev-parse', 'HEAD^{tree}')).toBe(upstream.git('rev-parse', 'HEAD^{tree}'));
    expect(log(clone, `${base}..HEAD`)).toBe(upstream.git('log', '--reverse', '--format=%an <%ae>|%s|%b', `${base}..HEAD`));
  });
});

describe('review trailers', () => {
  it("a reviewer's Reviewed-by in a reply is added to the patch in the mbox, so git am records it", async () => {
    const patches = (await (await api.app.request(`/api/1.3/series/${seriesId}/`)).json()) as { patches: Array<{ id: number; msgid: string; mbox: string }> };
    const first = patches.patches[0]!;
    const reply = [
      'From: Rev Iewer <rev@example.org>',
      'To: demo@example.org',
      'Subject: Re: [PATCH 1/3] lib: add d',
      'Date: Fri, 02 Jan 2026 10:00:00 +0000',
      'Message-Id: <review-1@example.org>',
      `In-Reply-To: ${first.msgid}`,
      `References: ${first.msgid}`,
      '',
      'Looks right.',
      '',
      'Reviewed-by: Rev Iewer <rev@example.org>',
      '',
    ].join('\n');
    const [outcome] = await api.store.storeBatch([{ raw: Buffer.from(reply), listId: 'demo.example.org' }]);
    expect(outcome).toMatchObject({ status: 'comment', on: 'patch', parentId: first.id });

    const mbox = await (await api.app.request(new URL(first.mbox).pathname)).text();
    expect(mbox).toContain('over two lines.\n\nReviewed-by: Rev Iewer <rev@example.org>\n---\n');
    const clone = freshCloneAtBase();
    const file = join(clone, '..', 'reviewed.mbox');
    writeFileSync(file, Buffer.from(await (await api.app.request(`/series/${seriesId}/mbox/`)).arrayBuffer()));
    git(clone, 'am', '--quiet', file);
    expect(git(clone, 'log', '-1', '--format=%b', 'HEAD~2')).toBe('A longer explanation,\nover two lines.\n\nReviewed-by: Rev Iewer <rev@example.org>\n\n');
    expect(git(clone, 'rev-parse', 'HEAD^{tree}')).toBe(upstream.git('rev-parse', 'HEAD^{tree}'));
  });
});

const hasGitPw = spawnSync('git', ['pw', '--help'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasGitPw)('git-pw against the live service', () => {
  let server: ReturnType<typeof serve>;
  let url: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      server = serve({ fetch: api.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve());
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/1.1`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  // async: the service answers from this same process
  const pw = (cwd: string, ...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile(
        'git',
        ['pw', ...args],
        { cwd, encoding: 'utf8', timeout: 20_000, env: { ...testGitEnv, PW_SERVER: url, PW_PROJECT: 'demo', ...(args.includes('--token') ? {} : { PW_USERNAME: TEST_USER, PW_PASSWORD: TEST_PASSWORD }) } },
        (err, stdout, stderr) => (err ? reject(new Error(`git pw ${args.join(' ')} failed: ${stderr}${stdout}`)) : resolve(stdout)),
      );
    });

  it('git pw patch list, patch update and series apply', async () => {
    const clone = freshCloneAtBase();
    const list = await pw(clone, 'patch', 'list', '-f', 'csv');
    expect(list).toContain('lib: add d');
    expect(list).toContain('docs: café notes');

    const { body } = await (async () => {
      const r = await api.app.request('/api/1.3/patches/?project=demo&order=id');
      return { body: (await r.json()) as Array<{ id: number }> };
    })();
    // maintainers' tools authenticate with `Authorization: Token <api token>`
    const { token } = await createApiToken(api.db, 'git-pw', ['patches']);
    await pw(clone, '--token', token, 'patch', 'update', '--state', 'accepted', String(body[0]!.id));
    const events = (await (await api.app.request(`/api/1.3/events/?category=patch-state-changed&patch=${body[0]!.id}`)).json()) as Array<{ actor: { username: string } }>;
    expect(events[0]!.actor.username).toBe('token:git-pw');
    const after = (await (await api.app.request(`/api/1.3/patches/${body[0]!.id}/`)).json()) as { state: string };
    expect(after.state).toBe('accepted');
    expect(await pw(clone, 'patch', 'list', '--state', 'accepted', '-f', 'csv')).toContain('lib: add d');

    await pw(clone, 'series', 'apply', String(seriesId));
    expect(git(clone, 'rev-parse', 'HEAD^{tree}')).toBe(upstream.git('rev-parse', 'HEAD^{tree}'));
  });
});
