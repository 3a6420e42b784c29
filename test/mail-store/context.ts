/** A migrated database and a MailStore for one test file, and fresh projects to store mails into. */
import { afterAll, beforeAll } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createProject } from '../../src/mail/store/projects.js';
import { createTestDatabase } from '../helpers/db.js';

export interface MailStoreContext {
  handle: DatabaseHandle;
  store: MailStore;
  /** a new project (link name and list id numbered per file), known to the store at once */
  newProject(extra?: Partial<Parameters<typeof createProject>[1]>): ReturnType<typeof createProject>;
}

export function mailStoreContext(): MailStoreContext {
  let seq = 0;
  const ctx = {
    async newProject(extra: Partial<Parameters<typeof createProject>[1]> = {}) {
      seq++;
      const p = await createProject(ctx.handle.db, { linkName: `proj${seq}`, listId: `list${seq}.example.org`, ...extra });
      ctx.store.invalidateProjects();
      return p;
    },
  } as MailStoreContext;
  beforeAll(async () => {
    ctx.handle = await createTestDatabase();
    ctx.store = new MailStore(ctx.handle.db, { projectRefreshMs: 0 });
  });
  afterAll(async () => {
    await ctx.handle?.close();
  });
  return ctx;
}
