/**
 * A mail tracking publishes what arrives after it was added, as the README promises: added through the
 * API, a complete series posted to POST /api/v1/mail before the tracking was ever scanned, then its first
 * scan (POST /api/v1/trackings/{id}/scan) opens the PR on the (fake) forge. A series on the list before the
 * add is not published.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createProject } from '../../src/mail/store/projects.js';
import { MailSource } from '../../src/sources/mail.js';
import { Engine } from '../../src/tracker/engine.js';
import { basicAuth, createTestApi, jsonRequest } from '../helpers/api.js';
import { FakeForge, fakeForges } from '../helpers/fake-forge.js';
import { LIST_ID, patchMail } from '../mail-ingest/mails.js';

const forge = new FakeForge({ 'README.md': 'downstream\n' });
let api: Awaited<ReturnType<typeof createTestApi>>;

beforeAll(async () => {
  let engine: Engine | undefined;
  api = await createTestApi({ scanNow: (id, options) => engine!.scanNow(id, options) });
  engine = new Engine({
    db: api.db,
    logger: createLogger('silent'),
    forges: fakeForges(forge),
    sources: { mail: new MailSource(api.db) },
    unavailable: {},
    publish: { specEdit: 'off', botName: 'patch-tracking', botEmail: 'bot@example.org' },
    maxPatchesPerPr: 100,
  });
  await createProject(api.db, { linkName: 'dev', listId: LIST_ID });
});
afterAll(() => api.close());

const postMail = (raw: Buffer) =>
  api.app.request('/api/v1/mail', { method: 'POST', headers: { 'content-type': 'message/rfc822', authorization: basicAuth() }, body: raw });

describe('a version_control: mail tracking', () => {
  it('publishes, at its first scan, a series that arrived after the add and none from before', async () => {
    expect((await postMail(patchMail(1, { subject: '[PATCH] counter: before the tracking' }))).status).toBe(201);

    const added = await api.app.request(
      '/api/v1/trackings',
      jsonRequest('POST', { version_control: 'mail', scm_repo: LIST_ID, scm_branch: 'PATCH', repo: 'src-openeuler/dev', branch: 'master', enabled: true }),
    );
    expect(added.status).toBe(201);
    const { id } = (await added.json()) as { id: number };

    expect((await postMail(patchMail(2, { subject: '[PATCH] counter: after the add' }))).status).toBe(201);

    const scan = await api.app.request(`/api/v1/trackings/${id}/scan`, { method: 'POST', headers: { authorization: basicAuth() } });
    expect(scan.status).toBe(200);
    expect(await scan.json()).toMatchObject({ action: 'published', published: [{ commits: 1, resumed: false }] });
    expect(forge.pulls).toHaveLength(1);
    expect(forge.issues).toHaveLength(1);
    expect(forge.issues[0]!.body).toContain('counter: after the add');
    expect(forge.issues[0]!.body).not.toContain('counter: before the tracking');
  });
});
