/**
 * Adding or changing a tracking whose upstream the service must not read (a local path, file://, a loopback,
 * private or link-local host) is refused with 400 naming scm_repo (4001 on the old API), by default; the
 * allow setting lets the same URLs through. `patch-tracking-cli add` against a server shows the refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTracking } from '../../src/db/trackings.js';
import { UpstreamPolicy } from '../../src/sources/upstream-policy.js';
import { createTestApi, jsonRequest } from '../helpers/api.js';
import { cli } from '../cli/run-cli.js';
import { startTestService, TEST_PASSWORD, TEST_USER, type TestService } from '../helpers/service.js';

/** `internal.example` resolves to loopback: what an attacker's DNS name would do (no network needed). */
const resolve = async (host: string) => {
  if (host === 'internal.example') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};

const REFUSED = [
  'file:///var/lib/patch-tracking/mirrors/other.git',
  '/srv/git/upstream.git',
  '../rel/upstream.git',
  'http://127.0.0.1/x.git',
  'http://[::1]/x.git',
  'http://10.0.0.5/x.git',
  'http://169.254.169.254/latest/meta-data/',
  'http://localhost/x.git',
  'http://internal.example/x.git',
  'http://[::ffff:127.0.0.1]/x.git',
  'http://2130706433/x.git',
];

const tracking = (branch: string, scmRepo: string) => ({
  version_control: 'git',
  scm_repo: scmRepo,
  scm_branch: 'main',
  repo: 'src-openeuler/policy',
  branch,
  enabled: false,
});

describe('by default', () => {
  let api: Awaited<ReturnType<typeof createTestApi>>;
  beforeAll(async () => {
    api = await createTestApi({ upstreamPolicy: new UpstreamPolicy({ allowLocal: false, resolve }) });
  });
  afterAll(() => api.close());

  it.each(REFUSED)('POST /api/v1/trackings refuses %s with 400 naming scm_repo, and stores nothing', async (url) => {
    const res = await api.app.request('/api/v1/trackings', jsonRequest('POST', tracking('post', url)));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; field: string; message: string } };
    expect(body.error).toMatchObject({ code: 'upstream_refused', field: 'scm_repo' });
    expect(body.error.message).toMatch(/^scm_repo ".*" is not allowed: .*ALLOW_LOCAL_UPSTREAMS/);
    expect(await findTracking(api.db, 'src-openeuler/policy', 'post')).toBeUndefined();
  });

  it.each(REFUSED)('POST /tracking (the old API) refuses %s with 4001', async (url) => {
    const res = await api.app.request('/tracking', jsonRequest('POST', tracking('compat', url)));
    const body = (await res.json()) as { code: string; detail?: string };
    expect(body.code).toBe('4001');
    expect(body.detail).toMatch(/scm_repo .* is not allowed/);
    expect(await findTracking(api.db, 'src-openeuler/policy', 'compat')).toBeUndefined();
  });

  it('PATCH refuses to point a tracking at a refused upstream, and still lets other fields change', async () => {
    const created = await api.app.request('/api/v1/trackings', jsonRequest('POST', tracking('patch', 'https://git.example.org/up.git')));
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    for (const url of ['file:///etc', 'http://169.254.169.254/']) {
      const res = await api.app.request(`/api/v1/trackings/${id}`, jsonRequest('PATCH', { scm_repo: url }));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe('scm_repo');
    }
    const paused = await api.app.request(`/api/v1/trackings/${id}`, jsonRequest('PATCH', { enabled: true }));
    expect(paused.status).toBe(200);
    expect((await findTracking(api.db, 'src-openeuler/policy', 'patch'))?.scmRepo).toBe('https://git.example.org/up.git');
  });

  it('refuses a local dry-run target (a path on the server) with 400 naming repo', async () => {
    for (const repo of ['/srv/packages/hello', 'file:///srv/packages/hello']) {
      const res = await api.app.request('/api/v1/trackings', jsonRequest('POST', { ...tracking('target', 'https://git.example.org/up.git'), repo }));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string; field: string } }).error).toMatchObject({ code: 'upstream_refused', field: 'repo' });
    }
  });

  it('an API built without a policy refuses local upstreams too', async () => {
    const bare = await createTestApi({ upstreamPolicy: undefined });
    try {
      const res = await bare.app.request('/api/v1/trackings', jsonRequest('POST', tracking('bare', '/srv/git/upstream.git')));
      expect(res.status).toBe(400);
    } finally {
      await bare.close();
    }
  });

  it('refuses what git could read as an option or a remote helper, naming scm_repo', async () => {
    for (const url of ['--upload-pack=touch /tmp/x', 'ext::sh -c touch% /tmp/x']) {
      const res = await api.app.request('/api/v1/trackings', jsonRequest('POST', tracking('syntax', url)));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe('scm_repo');
    }
  });
});

describe('with ALLOW_LOCAL_UPSTREAMS', () => {
  it('accepts every one of them', async () => {
    const api = await createTestApi({ upstreamPolicy: UpstreamPolicy.fromSettings({ allowLocalUpstreams: true, upstreamAllowHosts: [] }, resolve) });
    try {
      for (const [i, url] of REFUSED.entries()) {
        const res = await api.app.request('/api/v1/trackings', jsonRequest('POST', tracking(`allowed-${i}`, url)));
        expect(res.status, url).toBe(201);
      }
    } finally {
      await api.close();
    }
  });
});

describe('patch-tracking-cli add against a server with the default policy', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ extraSettings: { ALLOW_LOCAL_UPSTREAMS: 'false' } });
  });
  afterAll(() => service?.stop());

  it('exits non-zero and names scm_repo', async () => {
    const r = await cli([
      'add', '--server', service.url, '--user', TEST_USER, '--password', TEST_PASSWORD,
      '--version_control', 'git', '--scm_repo', 'file:///etc', '--scm_branch', 'main',
      '--repo', 'src-openeuler/cli', '--branch', 'master', '--enabled', 'false',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/scm_repo "file:\/\/\/etc" is not allowed/);
    expect(await findTracking(service.db.db, 'src-openeuler/cli', 'master')).toBeUndefined();
  });
});
