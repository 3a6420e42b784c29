/** A dashboard over a seeded database: trackings in several states, a published range with its PR and a check, and a mailing list. */
import { eq } from 'drizzle-orm';
import type { ApiDeps } from '../../src/api/app.js';
import { createRangeCheck, createPatchCheck } from '../../src/checks/service.js';
import type { Database } from '../../src/db/client.js';
import { issue, publication, tracking } from '../../src/db/schema/index.js';
import { upsertTracking } from '../../src/db/trackings.js';
import { createProject } from '../../src/mail/store/projects.js';
import { corpusMessages } from '../mail/corpus.js';
import { createIntegrationApi } from '../patchwork/integration-api.js';
import { TEST_PASSWORD, TEST_USER } from '../helpers/service.js';

export const LIST = 'demo.example.org';

export async function createWorld(options: { readAuth?: boolean; scanNow?: ApiDeps['scanNow']; upstreamed?: ApiDeps['upstreamed'] } = {}) {
  const api = await createIntegrationApi({ readAuth: options.readAuth, scanNow: options.scanNow, upstreamed: options.upstreamed });
  const db = api.db;
  const healthy = await addTracking(db, 'src-openeuler/widget', 'master', 'https://github.com/upstream/widget', { status: 'ok' });
  const failing = await addTracking(db, 'src-openeuler/gadget', 'openEuler-24.03', 'https://git.example.org/gadget.git', {
    status: 'error',
    lastError: 'git fetch timed out after 120 s',
    consecutiveFailures: 3,
    nextAttemptAt: new Date('2030-01-01T00:00:00Z'),
  });
  const blocked = await addTracking(db, 'src-openeuler/doohickey', 'master', 'https://git.example.org/doohickey.git', {
    status: 'blocked',
    lastError: 'the stored commit is not an ancestor of the upstream head',
  });
  const [range] = await db
    .insert(publication)
    .values({
      trackingId: healthy.id,
      rangeFrom: 'a'.repeat(40),
      rangeTo: 'b'.repeat(40),
      step: 'done',
      targetRepo: healthy.repo,
      targetBranch: healthy.branch,
      tempBranch: `patch-tracking/${healthy.id}`,
      baseBranch: healthy.branch,
      stamp: '20260101000000',
      commits: [{ sha: 'b'.repeat(40), subject: 'fix the build', message: 'fix the build', authorName: 'Dev', authorDate: '2026-01-01T00:00:00Z' }],
      issueId: 'I1ABCD',
      issueUrl: 'https://gitee.com/src-openeuler/widget/issues/I1ABCD',
      prNumber: '7',
      prUrl: 'https://gitee.com/src-openeuler/widget/pulls/7',
    })
    .returning();
  await db.insert(issue).values({
    issue: 'I1ABCD',
    repo: healthy.repo,
    branch: healthy.branch,
    trackingId: healthy.id,
    issueUrl: 'https://gitee.com/src-openeuler/widget/issues/I1ABCD',
    prNumber: '7',
    prUrl: 'https://gitee.com/src-openeuler/widget/pulls/7',
    state: 'open',
    rangeFrom: 'a'.repeat(40),
    rangeTo: 'b'.repeat(40),
  });
  await createRangeCheck(db, range!.id, 'ci-bot', { state: 'fail', context: 'rpmbuild', target_url: 'https://ci.example.org/build/1', description: 'build failed' });

  await createProject(db, { linkName: 'demo', name: 'Demo', listId: LIST });
  const raws = [...(await corpusMessages('series/base-cover-letter.mbox')), ...(await corpusMessages('series/bugs-multiple-content-types.mbox'))];
  await api.store.storeBatch(raws.map((raw) => ({ raw, listId: LIST })));
  await createPatchCheck(db, 1, 'ci-bot', { state: 'success', context: 'checkpatch', description: 'clean' });
  return { ...api, trackings: { healthy, failing, blocked }, range: range! };
}

async function addTracking(db: Database, repo: string, branch: string, scmRepo: string, engine: Partial<typeof tracking.$inferInsert>) {
  const { row } = await upsertTracking(db, { versionControl: scmRepo.includes('github.com') ? 'github' : 'git', scmRepo, scmBranch: 'main', repo, branch, enabled: true });
  const [updated] = await db.update(tracking).set(engine).where(eq(tracking.id, row.id)).returning();
  return updated!;
}

export type World = Awaited<ReturnType<typeof createWorld>>;

/** Anything serving the dashboard in-process. */
export type Served = { app: { request(path: string, init?: RequestInit): Response | Promise<Response> } };

/** The cookies a response sets, as a Cookie header value merged over `jar`. */
export function mergeCookies(jar: string, res: Response): string {
  const cookies = new Map(jar.split('; ').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  for (const set of res.headers.getSetCookie()) {
    const [pair] = set.split(';');
    const at = pair!.indexOf('=');
    cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
  }
  return [...cookies].filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`).join('; ');
}

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF field on the page');
  return m[1]!;
}

/** Visits /login and logs in; returns the cookie jar (session and CSRF) and the CSRF token. */
export async function logIn(world: Served, fields: Record<string, string> = { user: TEST_USER, password: TEST_PASSWORD }) {
  const page = await world.app.request('/login');
  let jar = mergeCookies('', page);
  const csrf = csrfOf(await page.text());
  const res = await world.app.request('/login', {
    method: 'POST',
    headers: { cookie: jar, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, next: '/', ...fields }).toString(),
  });
  jar = mergeCookies(jar, res);
  return { jar, csrf, res };
}

export function postForm(world: Served, path: string, jar: string, fields: Record<string, string>) {
  return world.app.request(path, { method: 'POST', headers: { cookie: jar, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
}
