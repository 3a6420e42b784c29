/**
 * The service as an admin meets it: a real process started from the bin, first-start password, restart,
 * bad settings, SIGTERM; and HTTPS with the old program's self-signed certificate setup.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestService, TEST_PASSWORD } from './helpers/service.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Running {
  child: ChildProcess;
  output: () => string;
  url: Promise<string>;
  exit: Promise<number | null>;
}

function startBin(env: Record<string, string>, args: string[] = []): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/patch-tracking.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /"url":"(http[^"]+)"/.exec(out);
      if (match) {
        clearInterval(timer);
        resolve(match[1]!);
      }
      if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`service exited: ${out}`));
      }
    }, 50);
  });
  url.catch(() => {}); // awaited only by the tests that expect the service to come up
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, url, exit };
}

const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'pt-bin-'));
  dirs.push(d);
  return d;
};

describe('patch-tracking serve (the bin)', () => {
  it('prints a generated admin password once, keeps only its hash, and the password works; SIGTERM exits cleanly', async () => {
    const dataDir = tmp();
    const env = { DATA_DIR: dataDir, LISTEN: '127.0.0.1:0', PATCH_TRACKING_CONFIG: '' };
    const first = startBin(env);
    const url = await first.url;
    const password = /password: (\S+)/.exec(first.output())?.[1];
    expect(password).toBeTruthy();
    const stored = readFileSync(path.join(dataDir, 'admin-password.hash'), 'utf8');
    expect(stored).toMatch(/^\$2[ab]\$/);
    expect(stored).not.toContain(password);
    const post = await fetch(`${url}/tracking`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` },
      body: JSON.stringify({ version_control: 'git', scm_repo: 'https://example.org/x.git', scm_branch: 'main', repo: 'o/r', branch: 'master', enabled: false }),
    });
    expect((await post.json()).code).toBe('2001');
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(first.output()).toContain('shutting down');

    const second = startBin(env);
    const url2 = await second.url;
    expect(second.output()).not.toContain('password:');
    const list = await (await fetch(`${url2}/tracking`)).json();
    expect(list.data).toHaveLength(1); // the embedded database kept its data across restarts
    second.child.kill('SIGINT');
    expect(await second.exit).toBe(0);
  });

  it('refuses bad settings with the key, file and line, exit code 2, and no stack trace', async () => {
    const dir = tmp();
    const conf = path.join(dir, 'settings.conf');
    writeFileSync(conf, 'LISTEN = "127.0.0.1:5001"\nSCAN_DB_INTERVAL = "hourly"\n');
    const run = startBin({ DATA_DIR: dir }, ['--config', conf]);
    expect(await run.exit).toBe(2);
    expect(run.output()).toContain(`SCAN_DB_INTERVAL (${conf}:2): expected a whole number`);
    expect(run.output()).not.toMatch(/\n\s+at /);
  });
});

describe('HTTPS', () => {
  it("serves HTTPS with the old program's self-signed certificate setup and verifies against it", async () => {
    const service = await startTestService({ tls: true });
    try {
      expect(service.url).toMatch(/^https:/);
      const ca = readFileSync(service.certFile!);
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        https
          .get(`${service.url}/tracking`, { ca }, (res) => {
            let body = '';
            res.on('data', (d) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode!, body }));
          })
          .on('error', reject);
      });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body).code).toBe('2001');
      // without the certificate, verification fails: TLS checking is on
      await expect(fetch(`${service.url}/tracking`)).rejects.toThrow();
    } finally {
      await service.stop();
    }
  });

});

describe('one server for everything', () => {
  it('serves the compat API, /api/v1, the Patchwork API, mail intake, CI and webhooks side by side', async () => {
    const service = await startTestService();
    try {
      const get = (path: string) => fetch(`${service.url}${path}`);
      expect((await (await get('/tracking')).json()).code).toBe('2001');
      expect((await get('/api/v1/openapi.json')).status).toBe(200);
      expect(await (await get('/api/1.3/')).json()).toHaveProperty('patches');
      expect((await fetch(`${service.url}/api/v1/mail`, { method: 'POST', body: 'x' })).status).toBe(401);
      expect((await fetch(`${service.url}/api/gitee/webhooks`, { method: 'POST', body: '{}' })).status).toBe(403);
      const auth = { authorization: `Basic ${Buffer.from(`admin:${TEST_PASSWORD}`).toString('base64')}` };
      // CI is off until CI_DATA_DIR is set, and says so
      expect((await fetch(`${service.url}/api/v1/ci?repository=https://example.org/r.git`, { headers: auth })).status).toBe(503);
    } finally {
      await service.stop();
    }
  });
});
