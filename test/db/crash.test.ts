/**
 * kill -9 of the service and of its embedded server in the middle of writes (API upserts and mail intake):
 * after a restart, PostgreSQL's crash recovery keeps every write the service had acknowledged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { embeddedLayout } from '../../src/db/embedded.js';
import { LIST_ID, patchMail } from '../mail-ingest/mails.js';
import { ROOT, runBin, tempDataDirs } from './helpers.js';

const tmp = tempDataDirs('pt-crash-');

function serve(dataDir: string): { child: ChildProcess; url: Promise<string>; password: Promise<string>; exit: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/patch-tracking.ts', 'serve'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'info', PATCH_TRACKING_CONFIG: '', DATA_DIR: dataDir, LISTEN: '127.0.0.1:0', SCAN_DB_INTERVAL: '3600' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const waitFor = (re: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = re.exec(out);
        if (m) {
          clearInterval(timer);
          resolve(m[1]!);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearInterval(timer);
          reject(new Error(`service exited: ${out}`));
        }
      }, 50);
    });
  const url = waitFor(/"url":"(http[^"]+)"/);
  const password = waitFor(/password: (\S+)/);
  password.catch(() => {}); // only the first start prints one
  return { child, url, password, exit };
}

describe('kill -9 during writes', { timeout: 240_000 }, () => {
  it('loses nothing that was acknowledged', async () => {
    const dataDir = tmp();
    const first = serve(dataDir);
    const url = await first.url;
    const auth = `Basic ${Buffer.from(`admin:${await first.password}`).toString('base64')}`;
    // a command next to the running service creates the list the mails go to
    expect((await runBin(['project', 'add', 'dev', '--list-id', LIST_ID], { DATA_DIR: dataDir })).code).toBe(0);

    const ackedRepos: string[] = [];
    const ackedMails: string[] = [];
    let stop = false;
    const writer = async (n: number) => {
      for (let i = n; !stop; i += 4) {
        try {
          if (i % 2 === 0) {
            const repo = `https://example.org/r${i}.git`;
            const r = await fetch(`${url}/tracking`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: auth },
              body: JSON.stringify({ version_control: 'git', scm_repo: repo, scm_branch: 'main', repo: `o/r${i}`, branch: 'master', enabled: false }),
            });
            if (r.ok && (await r.json()).code === '2001') ackedRepos.push(repo);
          } else {
            const r = await fetch(`${url}/api/v1/mail`, { method: 'POST', headers: { 'content-type': 'message/rfc822', authorization: auth }, body: patchMail(i) });
            if (r.status === 201) ackedMails.push(`<patch-${i}@example.org>`);
          }
        } catch {
          return; // the service is gone: this request was never acknowledged
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    while (ackedRepos.length < 20 || ackedMails.length < 20) await new Promise((r) => setTimeout(r, 20));
    const postmasterPid = Number(readFileSync(path.join(embeddedLayout(dataDir).cluster, 'postmaster.pid'), 'utf8').split('\n')[0]);
    first.child.kill('SIGKILL');
    process.kill(postmasterPid, 'SIGKILL');
    stop = true;
    await first.exit;
    await Promise.all(writers);

    const second = serve(dataDir);
    await second.url;
    const h = await openDatabase({ dataDir });
    try {
      const repos = new Set((await h.client`select scm_repo from tracking`).map((r) => String(r.scm_repo)));
      const mails = new Set((await h.client`select msgid from mail_message`).map((r) => String(r.msgid)));
      expect(ackedRepos.filter((r) => !repos.has(r))).toEqual([]);
      expect(ackedMails.filter((m) => !mails.has(m))).toEqual([]);
      expect(repos.size).toBeGreaterThanOrEqual(ackedRepos.length);
    } finally {
      await h.close();
      second.child.kill('SIGTERM');
      await second.exit;
    }
  });
});
