import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, createIntegrationApi } from '../patchwork/integration-api.js';

type Api = Awaited<ReturnType<typeof createIntegrationApi>>;
let root: string;
let dataDir: string;
let configured: Api;
let bare: Api;

async function script(name: string, body: string): Promise<string> {
  const file = join(root, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

const auth = { authorization: basicAuth() };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pt-ci-route-'));
  dataDir = join(root, 'data');
  await (await import('node:fs/promises')).mkdir(dataDir);
  // the handler answers with the repository and a custom value it read from the request manifest
  const handler = await script(
    'handler.sh',
    [
      'dir="$2"',
      'repo=$(sed -n "s/^repository: //p" "$dir/request.manifest")',
      'branch=$(sed -n "s/^branch: //p" "$dir/request.manifest")',
      'printf ": 1\\nstatus: 202\\nmessage: accepted for %s\\nreference: build-%s\\n" "$repo" "$branch"',
    ].join('\n'),
  );
  configured = await createIntegrationApi({ settings: { ciDataDir: dataDir, ciHandler: handler, ciHandlerArguments: ['--mode=test'], ciHandlerTimeout: 10 } });
  bare = await createIntegrationApi({ db: configured.db });
});
afterAll(async () => {
  await configured?.close();
  await bare?.close();
  await rm(root, { recursive: true, force: true });
});

describe('GET|POST /api/v1/ci', () => {
  it('runs the handler on a form submission and answers with its result manifest and status', async () => {
    const res = await configured.app.request('/api/v1/ci', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams([
        ['repository', 'https://git.example.org/foo.git'],
        ['package', 'foo'],
        ['package', ''],
        ['branch', 'topic'],
      ]).toString(),
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toMatch(/^text\/manifest/);
    expect(await res.text()).toBe(': 1\nstatus: 202\nmessage: accepted for https://git.example.org/foo.git\nreference: build-topic\n');
    // the request directory stays with both manifests
    const dirs = await readdir(dataDir);
    expect(dirs).toHaveLength(1);
    const request = await readFile(join(dataDir, dirs[0]!, 'request.manifest'), 'utf8');
    expect(request).toMatch(/^: 1\nid: [0-9a-f-]{36}\nrepository: https:\/\/git.example.org\/foo.git\npackage: foo\ntimestamp: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n/);
    expect(request).toContain('\nbranch: topic\n');
    expect(await readFile(join(dataDir, dirs[0]!, 'result.manifest'), 'utf8')).toContain('status: 202');
  });

  it('takes the query string on GET; simulate performs nothing', async () => {
    const before = await readdir(dataDir);
    const ok = await configured.app.request('/api/v1/ci?repository=https://git.example.org/foo.git&simulate=success', { headers: auth });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^: 1\nstatus: 200\nmessage: CI request is queued\nreference: [0-9a-f-]{36}\n$/);
    const text = await configured.app.request('/api/v1/ci?repository=https://git.example.org/foo.git&simulate=internal-error-text', { headers: auth });
    expect(text.status).toBe(500);
    expect(await text.text()).toBe('CI request submission handling failed\n');
    const html = await bare.app.request('/api/v1/ci?repository=https://git.example.org/foo.git&simulate=internal-error-html', { headers: auth });
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await readdir(dataDir)).toEqual(before);
  });

  it('refuses bad values with a 400 manifest naming the problem, and unauthenticated callers', async () => {
    const cases: Array<[string, RegExp]> = [
      ['', /repository is required/],
      ['repository=/srv/git/foo', /must be a remote|is not a URL/],
      ['repository=https://git.example.org/foo.git&package=a%20b', /invalid package/],
      ['repository=https://git.example.org/foo.git&note=caf%C3%A9', /invalid value of 'note'/],
      ['repository=https://git.example.org/foo.git&id=x', /'id' is set by the service/],
      ['repository=https://git.example.org/foo.git&simulate=maybe', /simulate must be one of/],
    ];
    for (const [query, message] of cases) {
      const res = await configured.app.request(`/api/v1/ci?${query}`, { headers: auth });
      expect(res.status, query).toBe(400);
      const body = await res.text();
      expect(body, query).toMatch(/^: 1\nstatus: 400\nmessage: /);
      expect(body, query).toMatch(message);
    }
    expect((await configured.app.request('/api/v1/ci?repository=https://git.example.org/foo.git')).status).toBe(401);
    const upload = new FormData();
    upload.append('repository', 'https://git.example.org/foo.git');
    upload.append('file', new Blob(['x']), 'x.txt');
    const file = await configured.app.request('/api/v1/ci', { method: 'POST', headers: auth, body: upload });
    expect(file.status).toBe(400);
  });

  it('without CI_DATA_DIR a real request is a 503 that says why', async () => {
    const res = await bare.app.request('/api/v1/ci?repository=https://git.example.org/foo.git', { headers: auth });
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('CI_DATA_DIR is not set');
  });
});
