/**
 * parsearchive: mbox files and Maildir folders streamed into the store in batches. Memory holds at most
 * two batches: while one is written, the next is read and parsed (the database works in its own process,
 * so the two overlap on a multi-core machine).
 */
import { opendir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readMaildir, readMbox, readMessageFile, startsWithEnvelope } from '../mbox.js';
import type { IncomingMail, MailStore, StoreOutcome } from '../store/mail-store.js';
import { emptySummary, tally, type ImportSummary } from './summary.js';

export interface ArchiveImportOptions {
  listId?: string | null;
  /** mails per transaction */
  batchSize?: number;
  /** called after each stored batch with the bytes and messages done so far */
  onProgress?: (progress: { bytes: number; messages: number }) => void;
  /** called with each batch's outcomes (e.g. to log drops) */
  onOutcomes?: (outcomes: StoreOutcome[]) => void;
}

export interface ArchiveMessage {
  raw: Buffer;
  /** where it came from, for messages about it */
  origin: string;
  /** larger than MAX_MAIL_BYTES: `raw` holds its first bytes */
  truncated: boolean;
}

/** Messages of an mbox file, a Maildir folder, or a file holding one message. */
export async function* archiveMessages(path: string): AsyncGenerator<ArchiveMessage> {
  const st = await stat(path);
  if (st.isDirectory()) {
    for await (const m of readMaildir(path)) yield { raw: m.raw, origin: m.path, truncated: m.truncated };
  } else if (await startsWithEnvelope(path)) {
    for await (const m of readMbox(path)) yield { raw: m.raw, origin: `${path} message ${m.index + 1}`, truncated: m.truncated };
  } else {
    yield { ...(await readMessageFile(path)), origin: path };
  }
}

/** Total bytes of the inputs, for a progress bar. */
export async function archiveBytes(paths: string[]): Promise<number> {
  let total = 0;
  for (const path of paths) {
    const st = await stat(path);
    if (!st.isDirectory()) {
      total += st.size;
      continue;
    }
    for (const sub of ['cur', 'new']) {
      let dir;
      try {
        dir = await opendir(join(path, sub));
      } catch {
        continue;
      }
      for await (const e of dir) if (e.isFile()) total += (await stat(join(path, sub, e.name))).size;
    }
  }
  return total;
}

export async function importArchives(store: MailStore, paths: string[], options: ArchiveImportOptions = {}): Promise<ImportSummary> {
  for (const path of paths) {
    try {
      await stat(path);
    } catch (err) {
      throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  const size = options.batchSize ?? 500;
  const summary = emptySummary();
  let bytes = 0;
  let pending: Promise<void> | null = null;
  let failure: { err: unknown } | null = null;
  let batch: IncomingMail[] = [];
  let batchBytes = 0;

  const flush = async (): Promise<void> => {
    if (!batch.length) return;
    const prepared = store.prepare(batch);
    const n = batchBytes;
    batch = [];
    batchBytes = 0;
    await settle();
    pending = store.store(prepared).then(
      (outcomes) => {
        tally(summary, outcomes);
        bytes += n;
        options.onOutcomes?.(outcomes);
        options.onProgress?.({ bytes, messages: summary.processed });
      },
      // held until the next flush: left unhandled while the next batch is read, it would end the process
      // before the caller could tell an unreachable database (try later) from anything else
      (err: unknown) => {
        failure = { err };
      },
    );
  };
  const settle = async (): Promise<void> => {
    if (pending) await pending;
    if (failure) throw failure.err;
  };

  for (const path of paths) {
    for await (const m of archiveMessages(path)) {
      batch.push({ raw: m.raw, listId: options.listId ?? null, truncated: m.truncated });
      batchBytes += m.raw.length;
      if (batch.length >= size) await flush();
    }
  }
  await flush();
  await settle();
  return summary;
}
