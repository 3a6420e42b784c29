/**
 * The service's scan cycle (what its scheduler runs) marks the patches that landed in their project's
 * upstream, using the mirror under DATA_DIR/mirrors, with nothing but the project's scm_url configured.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailPatch } from '../../src/db/schema/mail.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createProject } from '../../src/mail/store/projects.js';
import { removeTempDirs } from '../helpers/git-repo.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { applyWithAm, postSeries, type Posted } from './upstream.js';

let service: TestService;
let posted: Posted;
let projectId: number;

beforeAll(async () => {
  service = await startTestService();
  posted = postSeries();
  ({ id: projectId } = await createProject(service.db.db, { linkName: 'demo', listId: 'demo.example.org', scmUrl: posted.upstream.url }));
  await new MailStore(service.db.db).storeBatch(posted.mails('demo.example.org'));
}, 120_000);
afterAll(async () => {
  await service?.stop();
  removeTempDirs();
});

describe('the scan cycle', { timeout: 120_000 }, () => {
  it('marks the series accepted once it is applied upstream', async () => {
    await service.runCycle();
    const mirrors = readdirSync(join(service.dataDir, 'mirrors')).filter((d) => d.endsWith('.git'));
    expect(mirrors).toHaveLength(1);
    expect(existsSync(join(service.dataDir, 'mirrors', mirrors[0]!, 'refs/patch-tracking/upstream/HEAD'))).toBe(true);

    const commits = applyWithAm(posted.upstream, posted.files.series.filter((f) => !f.endsWith('cover-letter.patch')));
    await service.runCycle();
    const rows = await service.db.db.select().from(mailPatch).where(eq(mailPatch.projectId, projectId)).orderBy(asc(mailPatch.id));
    expect(rows.map((p) => [p.state, p.commitRef])).toEqual([
      ['accepted', commits[0]],
      ['accepted', commits[1]],
      ['new', null],
      ['new', null],
    ]);
  });
});
