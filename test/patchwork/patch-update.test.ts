/** The one rule for a maintainer's change to a patch (what PATCH /api/1.x/patches/{id}/ calls). */
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.js';
import { mailEvent, mailPatch } from '../../src/db/schema/mail.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { addProjectDelegate, createProject } from '../../src/mail/store/projects.js';
import { updatePatch } from '../../src/patchwork/patch-update.js';
import { createTestDatabase } from '../helpers/db.js';
import { patchMail } from '../mail-ingest/mails.js';

let handle: DatabaseHandle;
let projectId: number;
let seq = 0;

beforeAll(async () => {
  handle = await createTestDatabase();
  projectId = (await createProject(handle.db, { linkName: 'demo', listId: 'demo.example.org' })).id;
});
afterAll(async () => {
  await handle?.close();
});

async function newPatch(): Promise<number> {
  seq++;
  const [outcome] = await new MailStore(handle.db).storeBatch([{ raw: patchMail(seq, { listId: 'demo.example.org' }), listId: 'demo.example.org' }]);
  if (outcome?.status !== 'patch') throw new Error(`expected a patch, got ${outcome?.status}`);
  return outcome.id;
}

const eventsOf = async (patchId: number) =>
  (await handle.db.select().from(mailEvent).where(and(eq(mailEvent.patchId, patchId), eq(mailEvent.actor, 'admin'))).orderBy(asc(mailEvent.id))).map((e) => [e.category, e.payload]);

describe('updatePatch', () => {
  it('takes a state by name or slug and a delegate by address or id, recording one event per real change', async () => {
    const id = await newPatch();
    const maint = await addProjectDelegate(handle.db, projectId, 'maint@example.org');
    const updated = await updatePatch(handle.db, id, { state: 'Under Review', delegate: 'MAINT@example.org', archived: true }, 'admin');
    expect(updated).toMatchObject({ state: 'under-review', delegateId: maint, archived: true });
    // the same state by slug and the same delegate by id change nothing and record nothing
    await updatePatch(handle.db, id, { state: 'under-review', delegate: maint }, 'admin');
    expect(await eventsOf(id)).toEqual([
      ['patch-state-changed', { previous: 'new', current: 'under-review' }],
      ['patch-delegated', { previous: null, current: maint }],
    ]);
    await updatePatch(handle.db, id, { delegate: '' }, 'admin');
    expect((await eventsOf(id)).at(-1)).toEqual(['patch-delegated', { previous: maint, current: null }]);
  });

  it('sets and clears the commit and the pull URL', async () => {
    const id = await newPatch();
    expect(await updatePatch(handle.db, id, { commitRef: 'abc123', pullUrl: 'https://git.example.org/pull/1' })).toMatchObject({ commitRef: 'abc123', pullUrl: 'https://git.example.org/pull/1' });
    expect(await updatePatch(handle.db, id, { commitRef: '', pullUrl: null })).toMatchObject({ commitRef: null, pullUrl: null });
    const [row] = await handle.db.select().from(mailPatch).where(eq(mailPatch.id, id));
    expect(row).toMatchObject({ commitRef: null, pullUrl: null });
  });

  it('names the field of an unknown state or delegate, and says not_found for an unknown patch', async () => {
    const id = await newPatch();
    await expect(updatePatch(handle.db, id, { state: 'merged-upstream' })).rejects.toMatchObject({
      code: 'invalid_request',
      field: 'state',
      message: expect.stringMatching(/"merged-upstream" is not a state of this project/),
    });
    await expect(updatePatch(handle.db, id, { delegate: 'who@example.org' })).rejects.toMatchObject({ code: 'invalid_request', field: 'delegate' });
    await expect(updatePatch(handle.db, 999999, { archived: true })).rejects.toMatchObject({ code: 'not_found' });
    const [row] = await handle.db.select().from(mailPatch).where(eq(mailPatch.id, id));
    expect(row).toMatchObject({ state: 'new', delegateId: null });
  });

  it('matches a state exactly: LIKE wildcards are plain characters', async () => {
    const id = await newPatch();
    for (const state of ['%', '_ccepted', 'accept%', 'New\\']) {
      await expect(updatePatch(handle.db, id, { state })).rejects.toMatchObject({ code: 'invalid_request', field: 'state' });
    }
    const [row] = await handle.db.select().from(mailPatch).where(eq(mailPatch.id, id));
    expect(row!.state).toBe('new');
    expect(await updatePatch(handle.db, id, { state: 'ACCEPTED' })).toMatchObject({ state: 'accepted' });
  });
});
