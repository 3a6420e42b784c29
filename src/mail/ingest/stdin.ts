/** parsemail: one mail from standard input (an MTA pipe) into the store. */
import { MAX_MAIL_BYTES } from '../parse.js';
import type { MailStore, StoreOutcome } from '../store/mail-store.js';

/**
 * The input's first `limit` bytes and whether there was more. The rest is read and discarded, so the
 * writer (an MTA) sees the whole mail taken instead of a broken pipe.
 */
export async function readAll(input: AsyncIterable<Buffer | string>, limit = MAX_MAIL_BYTES): Promise<{ raw: Buffer; truncated: boolean }> {
  const parts: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of input) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    if (truncated) continue;
    if (size + b.length > limit) {
      parts.push(b.subarray(0, limit - size));
      size = limit;
      truncated = true;
      continue;
    }
    parts.push(b);
    size += b.length;
  }
  return { raw: Buffer.concat(parts, size), truncated };
}

export async function parseMailFromStream(store: MailStore, input: AsyncIterable<Buffer | string>, listId?: string | null, limit = MAX_MAIL_BYTES): Promise<StoreOutcome> {
  const { raw, truncated } = await readAll(input, limit);
  if (!raw.length) return { status: 'dropped', msgid: null, projectId: null, reason: 'empty input' };
  return store.storeOne({ raw, listId: listId ?? null, truncated });
}
