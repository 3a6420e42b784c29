/**
 * How fast a public-inbox archive is followed: builds a v2 epoch the way public-inbox writes one (one
 * commit per message, the message as the file `m`), or with `--format v1` a v1 inbox (one commit per
 * message, the message as `ab/cdef…`, the SHA-1 of its Message-ID), written directly with `git fast-import`
 * from the ingest benchmark's generated list traffic, then follows it into a fresh database with the same
 * code the scheduler and `mail follow` use. Prints a table and a JSON document.
 *
 * Options: --size 100000 (messages)   --batch-size 500   --format v2|v1   --database-url URL (default: embedded server)
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openDatabase } from '../src/db/client.js';
import { addArchive, ArchiveFollower } from '../src/mail/follow/follow.js';
import { readMbox } from '../src/mail/mbox.js';
import { MailStore } from '../src/mail/store/mail-store.js';
import { createProject } from '../src/mail/store/projects.js';
import { GitSource } from '../src/sources/git.js';
import { UpstreamPolicy } from '../src/sources/upstream-policy.js';
import { BENCH_LIST_ID, benchOutDir, generateArchive, makeHistory } from './generate-archive.js';
import { printTable } from './lib.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const size = Number(option('size', '100000'));
const batchSize = Number(option('batch-size', '500'));
const databaseUrl = option('database-url', '');
const format = option('format', 'v2');
if (format !== 'v1' && format !== 'v2') throw new Error(`--format ${format}: v1 or v2`);

/** Where public-inbox v1 keeps a message: the SHA-1 of its Message-ID (without <>), split after two digits. */
function v1Path(raw: Buffer, n: number): string {
  const id = /^message-id:\s*<?([^>\r\n]+)>?/im.exec(raw.subarray(0, 64 * 1024).toString('latin1'))?.[1] ?? `bench-${n}@example.org`;
  const hex = createHash('sha1').update(id).digest('hex');
  return `${hex.slice(0, 2)}/${hex.slice(2)}`;
}

/** Writes the messages of `mbox` into a new bare repository (a v2 epoch or a v1 inbox), one commit per message. */
async function buildEpoch(mbox: string, epoch: string): Promise<number> {
  const git = (args: string[]) => spawn('git', args, { stdio: ['pipe', 'inherit', 'inherit'] });
  await new Promise((resolve) => git(['init', '--quiet', '--bare', epoch]).on('close', resolve));
  const fi = git(['--git-dir', epoch, 'fast-import', '--quiet']);
  const done = new Promise<number>((resolve) => fi.on('close', (code) => resolve(code ?? 1)));
  const write = async (b: Buffer | string): Promise<void> => {
    if (!fi.stdin.write(b)) await new Promise((r) => fi.stdin.once('drain', r));
  };
  let n = 0;
  const t = 1_700_000_000;
  for await (const m of readMbox(mbox)) {
    n++;
    const message = `message ${n}\n`;
    await write(`commit refs/heads/master\nmark :${n}\nauthor Bench <bench@example.org> ${t + n} +0000\ncommitter Bench <bench@example.org> ${t + n} +0000\ndata ${Buffer.byteLength(message)}\n${message}`);
    if (n > 1) await write(`from :${n - 1}\n`);
    await write(`M 100644 inline ${format === 'v1' ? v1Path(m.raw, n) : 'm'}\ndata ${m.raw.length}\n`);
    await write(m.raw);
    await write('\n');
  }
  fi.stdin.end();
  if ((await done) !== 0) throw new Error('git fast-import failed');
  return n;
}

async function main(): Promise<void> {
  const out = benchOutDir();
  const mbox = join(out, `ingest-${size}.mbox`);
  if (!existsSync(mbox)) await generateArchive(mbox, size, makeHistory(3000));
  const work = mkdtempSync(join(tmpdir(), 'pt-bench-follow-'));
  // the embedded server may run as another user (postgres, when started as root): it must enter this folder
  chmodSync(work, 0o755);
  try {
    const inbox = join(work, 'inbox');
    const builtAt = Date.now();
    const messages = await buildEpoch(mbox, format === 'v1' ? inbox : join(inbox, 'git', '0.git'));
    const buildSeconds = (Date.now() - builtAt) / 1000;

    const handle = await openDatabase(databaseUrl ? { databaseUrl, maxConnections: 2 } : { dataDir: join(work, 'data') });
    try {
      const project = await createProject(handle.db, { linkName: 'bench', listId: BENCH_LIST_ID });
      const archive = await addArchive(handle.db, project.id, `file://${inbox}`);
      const follower = new ArchiveFollower({ db: handle.db, git: new GitSource({ dataDir: join(work, 'data'), upstreamPolicy: new UpstreamPolicy({ allowLocal: true }) }), store: new MailStore(handle.db), logger: pino({ level: 'silent' }) });
      const t0 = process.hrtime.bigint();
      const result = await follower.follow(archive, { batchSize });
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (result.error) throw new Error(result.error);
      const stored = result.epochs.reduce((s, e) => s + e.stored, 0);
      const t1 = process.hrtime.bigint();
      const again = await follower.follow(archive, { batchSize });
      const idleSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
      const row = {
        database: databaseUrl ? 'postgres' : 'embedded',
        messages,
        stored,
        buildSeconds,
        seconds,
        perSecond: messages / seconds,
        idleCycleSeconds: idleSeconds,
        idleRead: again.epochs.reduce((s, e) => s + e.read, 0),
      };
      process.stdout.write(`\nfollow a public-inbox ${format} archive on ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, batch ${batchSize}\n`);
      printTable(
        ['database', 'messages', 'stored', 'build s', 'follow s', 'msg/s', 'next cycle s (read)'],
        [[row.database, row.messages, row.stored, row.buildSeconds.toFixed(1), row.seconds.toFixed(1), Math.round(row.perSecond), `${row.idleCycleSeconds.toFixed(2)} (${row.idleRead})`]],
      );
      process.stdout.write('\n' + JSON.stringify({ benchmark: 'follow', format, batchSize, results: [row] }, null, 2) + '\n');
    } finally {
      await handle.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
