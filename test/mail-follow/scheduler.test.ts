/** The running service follows the archives its projects name, on every scheduler cycle. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailPatch } from '../../src/db/schema/index.js';
import { addArchive } from '../../src/mail/follow/follow.js';
import { createProject } from '../../src/mail/store/projects.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { patchMail } from '../mail-ingest/mails.js';

const missing = ['public-inbox-init', 'public-inbox-mda'].filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);

describe.skipIf(missing.length > 0)(`scheduler cycles follow public-inbox archives${missing.length ? ` (skipped: ${missing.join(', ')} not installed)` : ''}`, () => {
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  let service: TestService;
  const deliver = (raw: Buffer): void => {
    execFileSync('public-inbox-mda', [], { env: { ...env, ORIGINAL_RECIPIENT: 'dev@lists.example.org' }, input: raw, stdio: ['pipe', 'pipe', 'pipe'] });
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pi-follow-cycle-'));
    env = { ...process.env, HOME: dir, PI_CONFIG: join(dir, 'pi-config') };
    execFileSync('public-inbox-init', ['-V2', 'dev', join(dir, 'inbox'), 'http://example.org/dev', 'dev@lists.example.org'], { env, stdio: 'pipe' });
    execFileSync('git', ['config', '-f', join(dir, 'pi-config'), 'publicinboxmda.spamcheck', 'none'], { env });
    service = await startTestService({ scheduler: true, extraSettings: { SCAN_DB_INTERVAL: '1' } });
  });
  afterAll(async () => {
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const patchCount = async (projectId: number) => (await service.db.db.select({ id: mailPatch.id }).from(mailPatch).where(eq(mailPatch.projectId, projectId))).length;
  const waitFor = async (projectId: number, n: number) => {
    for (let i = 0; i < 600 && (await patchCount(projectId)) < n; i++) await new Promise((r) => setTimeout(r, 100));
    return patchCount(projectId);
  };

  it('stores the mails of a followed archive, then the new ones as they arrive', async () => {
    const project = await createProject(service.db.db, { linkName: 'dev', listId: 'dev.lists.example.org' });
    deliver(patchMail(1));
    await addArchive(service.db.db, project.id, `file://${join(dir, 'inbox')}`);
    expect(await waitFor(project.id, 1)).toBe(1);
    deliver(patchMail(2));
    expect(await waitFor(project.id, 2)).toBe(2);
  });
});
