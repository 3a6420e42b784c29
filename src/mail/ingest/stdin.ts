/** parsemail: one mail from standard input (an MTA pipe) into the store. */
import type { MailStore, StoreOutcome } from '../store/mail-store.js';

export async function readAll(input: AsyncIterable<Buffer | string>, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    size += b.length;
    if (size > limit) throw new Error(`the mail is larger than ${limit} bytes`);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

export async function parseMailFromStream(store: MailStore, input: AsyncIterable<Buffer | string>, listId?: string | null): Promise<StoreOutcome> {
  const raw = await readAll(input);
  if (!raw.length) return { status: 'dropped', msgid: null, projectId: null, reason: 'empty input' };
  return store.storeOne({ raw, listId: listId ?? null });
}
