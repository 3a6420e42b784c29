/**
 * The old commands keep working against the old Python server during a migration: add, query and delete
 * only use its routes (/tracking, /issue). The stand-in below answers as the recorded old server does
 * (test/fixtures/old-program/observed_api_responses.txt): text/html envelopes, 401 without JSON,
 * a 500 for a non-boolean `enabled`, no status columns, no /api/v1.
 */
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from '../helpers/git-repo.js';
import { startTestService, TEST_PASSWORD } from '../helpers/service.js';
import { cli } from './run-cli.js';

type Row = { version_control: string; scm_repo: string; scm_branch: string; scm_commit: string | null; repo: string; branch: string; enabled: boolean };

const KEYS = ['version_control', 'scm_repo', 'scm_branch', 'scm_commit', 'repo', 'branch', 'enabled'];
const rows: Row[] = [];
const posts: unknown[] = [];
let server: http.Server;
let address: string;

function oldServer(req: http.IncomingMessage, res: http.ServerResponse, body: string) {
  const url = new URL(req.url ?? '/', 'http://x');
  const html = (status: number, text: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
    res.end(text);
  };
  const envelope = (code: string, msg: string, data: unknown = null) => html(200, JSON.stringify({ code, msg, data }));
  const authorized = req.headers.authorization === `Basic ${Buffer.from('admin:Test@123').toString('base64')}`;
  if ((req.method === 'POST' || req.method === 'DELETE') && !authorized) {
    return html(401, 'Unauthorized Access', { 'www-authenticate': 'Basic realm="Authentication Required"' });
  }
  const repo = url.searchParams.get('repo');
  const branch = url.searchParams.get('branch');
  if (url.pathname === '/tracking' && req.method === 'GET') {
    return envelope('2001', 'Successful Operation!', rows.filter((r) => (!repo || r.repo === repo) && (!branch || r.branch === branch)));
  }
  if (url.pathname === '/issue' && req.method === 'GET') return envelope('2001', 'Successful Operation!', []);
  if (url.pathname === '/tracking' && req.method === 'POST') {
    if (!String(req.headers['content-type']).startsWith('application/json')) return html(415, '<h1>Unsupported Media Type</h1>');
    const data = JSON.parse(body) as Record<string, unknown>;
    posts.push(data);
    if (Object.keys(data).some((key) => !KEYS.includes(key))) return envelope('4001', 'Please enter the correct parameters');
    // the old program only knew github upstreams
    if (data.version_control !== 'github') return envelope('4001', 'Please enter the correct parameters');
    if (typeof data.enabled !== 'boolean') return html(500, '<title>500 Internal Server Error</title>');
    const row = { scm_commit: null, ...data } as Row; // the old upsert reset scm_commit when omitted
    const index = rows.findIndex((r) => r.repo === row.repo && r.branch === row.branch);
    if (index >= 0) rows[index] = row;
    else rows.push(row);
    return envelope('2001', 'Successful Operation!', data);
  }
  if (url.pathname === '/tracking' && req.method === 'DELETE') {
    if (!repo) return envelope('4001', 'Please enter the correct parameters');
    const before = rows.length;
    for (let i = rows.length - 1; i >= 0; i--) if (rows[i]!.repo === repo && (!branch || rows[i]!.branch === branch)) rows.splice(i, 1);
    return rows.length === before ? envelope('6005', 'The tracking you want to delete does not exist') : envelope('2001', 'Successful Operation!');
  }
  return html(404, '<title>404 Not Found</title>');
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => oldServer(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  removeTempDirs();
});

describe('against the old Python server', () => {
  const auth = () => ['--server', address, '--user', 'admin', '--password', 'Test@123'];

  it('add --file, re-run, query and delete use only the old routes', async () => {
    const dir = makeTempDir('pt-cli-old-');
    writeFileSync(path.join(dir, 'tracking.yaml'), 'version_control: github\nscm_repo: BJMX/testPatch01\nscm_branch: test\nrepo: testPatchTrack/testPatch1\nbranch: master\nenabled: "true"\n');
    const first = await cli(['add', ...auth(), '--file', path.join(dir, 'tracking.yaml')]);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toContain('1 added, 0 updated, 0 unchanged, 0 failed');
    // the string "true" was converted: the old server would have answered a 500
    expect(posts).toEqual([{ version_control: 'github', scm_repo: 'BJMX/testPatch01', scm_branch: 'test', repo: 'testPatchTrack/testPatch1', branch: 'master', enabled: true }]);

    const again = await cli(['add', ...auth(), '--file', path.join(dir, 'tracking.yaml')]);
    expect(again.stdout).toContain('0 added, 0 updated, 1 unchanged, 0 failed');
    expect(posts).toHaveLength(1);

    const query = await cli(['query', '--server', address, '--table', 'tracking']);
    expect(query.code).toBe(0);
    expect(query.stdout.split('\n')[0]).toMatch(/^repo\s+branch\s+version_control\s+scm_repo\s+scm_branch\s+scm_commit\s+enabled$/);

    expect(await cli(['delete', ...auth(), '--repo', 'testPatchTrack/testPatch1'])).toMatchObject({ code: 0, stdout: 'deleted: testPatchTrack/testPatch1 master\n' });
    expect(rows).toEqual([]);
  });

  it('an item the server refuses is counted as failed with its file and line; the others are imported; exit 1', async () => {
    const dir = makeTempDir('pt-cli-old-mixed-');
    const item = (kind: string, repo: string, scm: string) => `version_control: ${kind}\nscm_repo: ${scm}\nscm_branch: main\nrepo: ${repo}\nbranch: master\nenabled: true\n`;
    writeFileSync(path.join(dir, 'a.yaml'), item('github', 'mixed/a', 'o/a'));
    writeFileSync(path.join(dir, 'b.yaml'), `# a git upstream\n${item('git', 'mixed/b', 'https://example.org/b.git')}`);
    writeFileSync(path.join(dir, 'c.yaml'), item('github', 'mixed/c', 'o/c'));
    const result = await cli(['add', ...auth(), '--dir', dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('2 added, 0 updated, 0 unchanged, 1 failed');
    expect(result.stderr).toBe(`failed: ${path.join(dir, 'b.yaml')}:2: the server refused POST /tracking: Please enter the correct parameters (code 4001)\n`);
    expect(rows.map((r) => r.repo).sort()).toEqual(['mixed/a', 'mixed/c']);
    await cli(['delete', ...auth(), '--repo', 'mixed/a']);
    await cli(['delete', ...auth(), '--repo', 'mixed/c']);
  });

  it('a rejected password is reported from the old 401 page', async () => {
    const result = await cli(['delete', '--server', address, '--password', 'Nope@123', '--repo', 'x/y']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('authentication failed: the server rejected user "admin" with the given password');
  });

  it('the new commands say that they need the new service', async () => {
    const result = await cli(['enable', ...auth(), '--repo', 'x/y', '--branch', 'master']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`http://${address} has no /api/v1 (an old patch-tracking server?)`);
  });

  it('export from the old server, then add --file into the new one, moves every tracking with its progress', async () => {
    rows.push(
      { version_control: 'github', scm_repo: 'BJMX/one', scm_branch: 'test', scm_commit: 'a'.repeat(40), repo: 'move/one', branch: 'master', enabled: true },
      { version_control: 'github', scm_repo: 'BJMX/two', scm_branch: 'dev', scm_commit: null, repo: 'move/two', branch: 'openEuler-22.03', enabled: false },
    );
    const dir = makeTempDir('pt-cli-export-');
    const file = path.join(dir, 'old.yaml');
    const exported = await cli(['export', '--server', address, '--out', file]);
    expect(exported).toMatchObject({ code: 0, stderr: `exported 2 trackings to ${file}\n` });
    const target = await startTestService();
    try {
      const server = new URL(target.url).host;
      const added = await cli(['add', '--server', server, '--user', 'admin', '--password', TEST_PASSWORD, '--file', file]);
      expect(added.stdout).toContain('2 added, 0 updated, 0 unchanged, 0 failed');
      const query = await cli(['query', '--server', server, '--table', 'tracking', '--json']);
      const moved = JSON.parse(query.stdout) as Row[];
      // the CLI sends items concurrently: compare in a fixed order
      expect(moved.map((r) => [r.repo, r.branch, r.scm_commit, r.enabled]).sort()).toEqual([
        ['move/one', 'master', 'a'.repeat(40), true],
        ['move/two', 'openEuler-22.03', null, false],
      ]);
    } finally {
      await target.stop();
      rows.splice(0);
    }
  });
});
