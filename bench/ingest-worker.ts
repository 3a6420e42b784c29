/**
 * One benchmark run in a process of its own, so its peak RSS is its own: `parse` (split and parse only),
 * `embedded` (parse and store into the embedded PostgreSQL server under a temp DATA_DIR) or `postgres` (parse and store into the URL given).
 * Prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db/client.js';
import { readMbox } from '../src/mail/mbox.js';
import { parseMail } from '../src/mail/parse.js';
import { importArchives } from '../src/mail/ingest/archive.js';
import { MailStore } from '../src/mail/store/mail-store.js';
import { createProject } from '../src/mail/store/projects.js';
import { BENCH_LIST_ID } from './generate-archive.js';

const [mode, path, databaseUrl] = process.argv.slice(2);
if (!mode || !path || !['parse', 'embedded', 'postgres'].includes(mode)) {
  process.stderr.write('usage: ingest-worker.ts parse|embedded|postgres MBOX [DATABASE_URL]\n');
  process.exit(2);
}

const started = process.hrtime.bigint();
let messages = 0;
let detail: Record<string, unknown> = {};
if (mode === 'parse') {
  let failed = 0;
  for await (const m of readMbox(path)) {
    messages++;
    if (!parseMail(m.raw).ok) failed++;
  }
  detail = { failed };
} else {
  const dataDir = mode === 'embedded' ? mkdtempSync(join(tmpdir(), 'pt-bench-embedded-')) : undefined;
  const handle = await openDatabase(mode === 'embedded' ? { dataDir } : { databaseUrl: databaseUrl!, maxConnections: 2 });
  try {
    await createProject(handle.db, { linkName: 'bench', listId: BENCH_LIST_ID });
    const t0 = process.hrtime.bigint();
    const summary = await importArchives(new MailStore(handle.db), [path], { batchSize: Number(process.env.BENCH_BATCH_SIZE ?? 500) });
    messages = summary.processed;
    detail = { ...summary, droppedByReason: Object.fromEntries(summary.droppedByReason), setupSeconds: Number(t0 - started) / 1e9 };
  } finally {
    await handle.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const storeSeconds = typeof detail.setupSeconds === 'number' ? seconds - detail.setupSeconds : seconds;
process.stdout.write(
  JSON.stringify({ mode, messages, seconds: storeSeconds, perSecond: messages / storeSeconds, peakRssMb: process.resourceUsage().maxRSS / 1024, ...detail }) + '\n',
);
