/**
 * The upstream policy: local paths, file:// and hosts that are (or resolve to) loopback, private or link-local
 * addresses are refused unless ALLOW_LOCAL_UPSTREAMS or UPSTREAM_ALLOW_HOSTS allows them; at fetch time
 * git reaches only the addresses just checked, and a failure says nothing about why.
 */
import { statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { GitSource } from '../../src/sources/git.js';
import type { TrackedUpstream } from '../../src/sources/types.js';
import { UpstreamPolicy, upstreamTarget, type Resolver } from '../../src/sources/upstream-policy.js';
import { createUpstreamRepo, makeTempDir, removeTempDirs, startGitDaemon, startGitHttpServer, type GitDaemon, type GitHttpServer, type TestRepo } from '../helpers/git-repo.js';

/** A DNS that knows a few names and nothing else (no network in tests). */
function fakeDns(records: Record<string, string[]>): Resolver {
  return async (host) => {
    const addresses = records[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

const dns = fakeDns({
  'public.example': ['93.184.215.14'],
  'evil.example': ['127.0.0.1'],
  'mixed.example': ['93.184.215.14', '10.1.2.3'],
  'metadata.example': ['169.254.169.254'],
  'v6-local.example': ['::1'],
  'mapped.example': ['::ffff:192.168.1.1'],
});

const strict = new UpstreamPolicy({ allowLocal: false, resolve: dns });

async function refusal(policy: UpstreamPolicy, url: string, field = 'scm_repo'): Promise<AppError> {
  const err = await policy.check(url, field).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `${url} should be refused`).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('the default policy', () => {
  it.each([
    ['file:///srv/git/other.git', 'local paths or file://'],
    ['/var/lib/patch-tracking/mirrors/other-0123456789ab.git', 'local paths or file://'],
    ['../rel/repo.git', 'local paths or file://'],
    ['repo.git', 'local paths or file://'],
    ['http://127.0.0.1/x.git', 'loopback, private-network or link-local address'],
    ['https://127.0.0.2:8443/x.git', 'loopback, private-network or link-local address'],
    ['http://[::1]/x.git', 'loopback, private-network or link-local address'],
    ['http://[::ffff:127.0.0.1]/x.git', 'loopback, private-network or link-local address'],
    ['http://[::ffff:a00:5]/x.git', 'loopback, private-network or link-local address'],
    ['http://2130706433/x.git', 'loopback, private-network or link-local address'],
    ['http://0x7f.1/x.git', 'loopback, private-network or link-local address'],
    ['http://10.0.0.5/x.git', 'loopback, private-network or link-local address'],
    ['http://172.16.3.4/x.git', 'loopback, private-network or link-local address'],
    ['https://user:pw@192.168.0.1/x.git', 'loopback, private-network or link-local address'],
    ['http://169.254.169.254/latest/meta-data', 'loopback, private-network or link-local address'],
    ['http://0.0.0.0/x.git', 'loopback, private-network or link-local address'],
    ['http://[fe80::1]/x.git', 'loopback, private-network or link-local address'],
    ['http://[fd00::5]/x.git', 'loopback, private-network or link-local address'],
    ['git://10.1.1.1/x.git', 'loopback, private-network or link-local address'],
    ['ssh://git@127.0.0.1/x.git', 'loopback, private-network or link-local address'],
    ['git@[::1]:x.git', 'loopback, private-network or link-local address'],
    ['git@192.168.1.1:x.git', 'loopback, private-network or link-local address'],
    ['http://localhost/x.git', 'names this machine'],
    ['http://LOCALHOST.:8080/x.git', 'names this machine'],
    ['http://git.localhost/x.git', 'names this machine'],
    ['http://evil.example/x.git', 'resolves to a loopback'],
    ['https://mixed.example/x.git', 'resolves to a loopback'],
    ['http://metadata.example/x.git', 'resolves to a loopback'],
    ['http://v6-local.example/x.git', 'resolves to a loopback'],
    ['http://mapped.example/x.git', 'resolves to a loopback'],
  ])('refuses %s', async (url, why) => {
    const err = await refusal(strict, url);
    expect(err.code).toBe('upstream_refused');
    expect(err.field).toBe('scm_repo');
    expect(err.message).toContain(why);
    expect(err.message).toContain('ALLOW_LOCAL_UPSTREAMS');
  });

  it('never shows the credentials of the URL it refuses', async () => {
    const err = await refusal(strict, 'https://bot:ghp_secret123@10.0.0.9/x.git');
    expect(err.message).not.toContain('ghp_secret123');
  });

  it('names the field it is asked about', async () => {
    expect((await refusal(strict, 'file:///etc', 'scm_url')).field).toBe('scm_url');
  });

  it('resolves the host and checks every address; the system resolver refuses localhost too', async () => {
    const system = new UpstreamPolicy({ allowLocal: false });
    expect((await refusal(system, 'http://localhost:9/x.git')).code).toBe('upstream_refused');
  });

  it('accepts public hosts and pins git to the addresses it checked, without redirects or file://', async () => {
    const access = await strict.check('https://public.example/owner/repo.git');
    expect(access.protocols.split(':').sort()).toEqual(['git', 'http', 'https', 'ssh']);
    expect(access.config).toContain('protocol.file.allow=never');
    expect(access.config).toContain('http.followRedirects=false');
    expect(access.config).toContain('http.curloptResolve=public.example:443:93.184.215.14');
    expect((await strict.check('http://public.example:8080/r.git')).config).toContain('http.curloptResolve=public.example:8080:93.184.215.14');
    await expect(strict.check('https://93.184.215.14/r.git')).resolves.toBeDefined();
    await expect(strict.check('git@public.example:owner/repo.git')).resolves.toBeDefined();
  });

  it('accepts a name that does not resolve when it is given, but not right before git would run', async () => {
    await expect(strict.check('https://nowhere.example/r.git')).resolves.toBeDefined();
    const err = await strict.check('https://nowhere.example/r.git', 'scm_repo', { beforeFetch: true }).catch((e: unknown) => e as AppError);
    expect(err).toMatchObject({ code: 'upstream_error', message: 'could not fetch the upstream https://nowhere.example/r.git (the service log has the details)' });
  });
});

describe('allowing local upstreams', () => {
  it('ALLOW_LOCAL_UPSTREAMS lets every URL through, file:// included', async () => {
    const open = UpstreamPolicy.fromSettings({ allowLocalUpstreams: true, upstreamAllowHosts: [] }, dns);
    for (const url of ['file:///srv/x.git', '/srv/x.git', '../x.git', 'http://127.0.0.1/x.git', 'http://[::1]/x', 'http://169.254.169.254/', 'http://localhost/x', 'http://evil.example/x', 'http://2130706433/']) {
      const access = await open.check(url);
      expect(access.protocols.split(':')).toContain('file');
      expect(access.config).toEqual([]);
    }
  });

  it('UPSTREAM_ALLOW_HOSTS allows named hosts and address ranges, and nothing local', async () => {
    const some = UpstreamPolicy.fromSettings({ allowLocalUpstreams: false, upstreamAllowHosts: ['git.corp.example', '10.20.0.0/16', '::1', 'evil.example'] }, dns);
    await expect(some.check('https://GIT.corp.example/r.git')).resolves.toBeDefined();
    await expect(some.check('http://10.20.3.4/r.git')).resolves.toBeDefined();
    await expect(some.check('http://[::1]/r.git')).resolves.toBeDefined();
    await expect(some.check('http://evil.example/r.git')).resolves.toBeDefined();
    expect((await refusal(some, 'http://10.21.0.1/r.git')).code).toBe('upstream_refused');
    expect((await refusal(some, 'http://127.0.0.1/r.git')).code).toBe('upstream_refused');
    expect((await refusal(some, 'file:///srv/r.git')).code).toBe('upstream_refused');
  });

  it('refuses an allow list entry that is no host or range', () => {
    expect(() => new UpstreamPolicy({ allowLocal: false, allowHosts: ['10.0.0.0/99'] })).toThrow(/UPSTREAM_ALLOW_HOSTS/);
  });
});

describe('reading a URL as git does', () => {
  it.each([
    ['https://h.example/x', { kind: 'remote', scheme: 'https', host: 'h.example', port: undefined }],
    ['https://u:p@h.example:444/x', { kind: 'remote', scheme: 'https', host: 'h.example', port: 444 }],
    ['ssh://git@h.example:2222/x', { kind: 'remote', scheme: 'ssh', host: 'h.example', port: 2222 }],
    ['git@h.example:owner/x.git', { kind: 'remote', scheme: 'ssh', host: 'h.example', port: undefined }],
    ['h.example:x.git', { kind: 'remote', scheme: 'ssh', host: 'h.example', port: undefined }],
    ['http://2130706433/', { kind: 'remote', scheme: 'http', host: '127.0.0.1', port: undefined }],
    ['./h.example:x.git', { kind: 'local' }],
    ['/srv/a:b.git', { kind: 'local' }],
    ['FILE:///srv/x', { kind: 'local' }],
  ])('%s', (url, target) => {
    expect(upstreamTarget(url)).toEqual(target);
  });
});

describe('fetching through the git source', () => {
  let upstream: TestRepo;
  let http: GitHttpServer;
  const tracking = (scmRepo: string, id = 1): TrackedUpstream => ({ id, versionControl: 'git', scmRepo, scmBranch: 'main', scmCommit: null });

  let daemon: GitDaemon;

  beforeAll(async () => {
    upstream = createUpstreamRepo({ name: 'up.git' });
    http = await startGitHttpServer(upstream.dir.replace(/\/up\.git$/, ''));
    daemon = await startGitDaemon(upstream.dir.replace(/\/up\.git$/, ''));
  });
  afterAll(async () => {
    await http.stop();
    await daemon.stop();
    removeTempDirs();
  });

  it('refuses a file:// upstream, another mirror and a loopback host by default, before running git', async () => {
    const source = new GitSource({ dataDir: makeTempDir('pt-data-') });
    const heads = await source.heads([tracking(upstream.url, 1), tracking(upstream.dir, 2), tracking(http.url('up.git'), 3)]);
    for (const id of [1, 2, 3]) expect(heads.get(id)).toEqual({ error: expect.stringMatching(/is not allowed/) });
    await expect(source.range(tracking(upstream.url), upstream.head(), upstream.head())).rejects.toMatchObject({ code: 'upstream_refused', field: 'scm_repo' });
  });

  it('connects only to the address it checked: a name that DNS does not know reaches the checked address', async () => {
    // "upstream.test" resolves (for the policy) to 127.0.0.1, which the allow list permits; git itself could not
    // resolve the name at all, so the fetch works only because git was told the checked address
    const policy = new UpstreamPolicy({ allowLocal: false, allowHosts: ['127.0.0.1'], resolve: fakeDns({ 'upstream.test': ['127.0.0.1'] }) });
    const source = new GitSource({ dataDir: makeTempDir('pt-data-'), upstreamPolicy: policy });
    const url = http.url('up.git').replace('127.0.0.1', 'upstream.test');
    expect((await source.heads([tracking(url)])).get(1)).toEqual({ sha: upstream.head() });
  });

  it('git:// too: git reaches the checked address through the proxy, the first that answers, and no other', async () => {
    const closed = await closedPort();
    const records: Record<string, string[]> = { 'upstream.test': ['127.0.0.1'] };
    const dataDir = makeTempDir('pt-data-');
    const policy = new UpstreamPolicy({ allowLocal: false, allowHosts: ['127.0.0.0/8'], resolve: fakeDns(records), dataDir });
    const source = new GitSource({ dataDir, upstreamPolicy: policy, timeoutMs: 20_000 });
    const url = daemon.url('up.git').replace('127.0.0.1', 'upstream.test');
    const base = upstream.head();
    const added = upstream.commit('pinned: one more', { files: { 'pinned.txt': 'over git://\n' } });
    expect((await source.heads([tracking(url)])).get(1)).toEqual({ sha: added });
    expect((await source.range(tracking(url), base, added)).map((c) => c.sha)).toEqual([added]);
    // the proxy lives in DATA_DIR (not /tmp, often mounted noexec), readable by the service's user only
    expect(statSync(join(dataDir, 'git-proxy')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'git-proxy', 'git-proxy')).mode & 0o777).toBe(0o700);
    // an address that refuses comes first: the proxy goes on to the next checked one
    records['upstream.test'] = ['127.0.0.2', '127.0.0.1'];
    expect((await source.heads([tracking(daemon.url('up.git').replace(`127.0.0.1:${daemon.port}`, `upstream.test:${daemon.port}`))])).get(1)).toEqual({ sha: upstream.head() });
    // checked addresses that all refuse: the fetch fails (the name itself is never resolved by git)
    records['upstream.test'] = ['127.0.0.1'];
    const nobody = `git://upstream.test:${closed}/up.git`;
    expect((await source.heads([tracking(nobody)])).get(1)).toEqual({ error: `could not fetch the upstream ${nobody} (the service log has the details)` });
  });

  it('git:// with a DATA_DIR whose proxy folder cannot be written: the proxy goes to a private temporary folder', async () => {
    const dataDir = makeTempDir('pt-data-');
    writeFileSync(join(dataDir, 'git-proxy'), 'a file where the folder would go\n');
    const policy = new UpstreamPolicy({ allowLocal: false, allowHosts: ['127.0.0.0/8'], resolve: fakeDns({ 'upstream.test': ['127.0.0.1'] }), dataDir });
    const source = new GitSource({ dataDir, upstreamPolicy: policy, timeoutMs: 20_000 });
    const url = daemon.url('up.git').replace('127.0.0.1', 'upstream.test');
    expect((await source.heads([tracking(url)])).get(1)).toEqual({ sha: upstream.head() });
  });

  it('checks again right before git runs: a name that now resolves to a private address is refused', async () => {
    const records: Record<string, string[]> = { 'rebind.example': ['93.184.215.14'] };
    const policy = new UpstreamPolicy({ allowLocal: false, resolve: fakeDns(records) });
    const url = 'http://rebind.example/up.git';
    await expect(policy.check(url)).resolves.toBeDefined(); // accepted when it was added
    records['rebind.example'] = ['127.0.0.1'];
    const source = new GitSource({ dataDir: makeTempDir('pt-data-'), upstreamPolicy: policy });
    expect((await source.heads([tracking(url)])).get(1)).toEqual({ error: expect.stringMatching(/is not allowed: its host resolves to a loopback/) });
  });

  it('says the same thing for a closed port, a TLS failure, a missing repository and an unknown name, and logs the cause', async () => {
    const closed = await closedPort();
    const logged: { obj: Record<string, unknown>; msg: string }[] = [];
    const logger = { warn: (obj: Record<string, unknown>, msg: string) => logged.push({ obj, msg }) } as never;
    const policy = new UpstreamPolicy({ allowLocal: false, allowHosts: ['127.0.0.1'], resolve: fakeDns({}) });
    const source = new GitSource({ dataDir: makeTempDir('pt-data-'), upstreamPolicy: policy, logger, timeoutMs: 20_000 });
    const urls = [
      `http://127.0.0.1:${closed}/up.git`, // connection refused
      `https://127.0.0.1:${http.port}/up.git`, // TLS handshake with a plain-HTTP server
      http.url('no-such-repo.git'), // 404
      'https://unknown.example/up.git', // DNS has no answer
    ];
    const heads = await source.heads(urls.map((u, i) => tracking(u, i + 1)));
    urls.forEach((u, i) => expect(heads.get(i + 1)).toEqual({ error: `could not fetch the upstream ${u} (the service log has the details)` }));
    expect(logged).toHaveLength(4);
    expect(logged.every((l) => l.msg === 'could not fetch the upstream' && typeof l.obj.err === 'string')).toBe(true);
    expect(logged.map((l) => String(l.obj.stderr ?? l.obj.err)).join('\n')).toMatch(/ENOTFOUND unknown.example/);
  });

  it('keeps credentials out of the answer and the log when a fetch fails', async () => {
    const logged: string[] = [];
    const logger = { warn: (obj: unknown, msg: string) => logged.push(JSON.stringify(obj) + msg) } as never;
    const policy = new UpstreamPolicy({ allowLocal: false, allowHosts: ['127.0.0.1'] });
    const source = new GitSource({ dataDir: makeTempDir('pt-data-'), upstreamPolicy: policy, logger });
    const heads = await source.heads([tracking(`http://bot:tok_s3cret@127.0.0.1:${http.port}/missing.git`)]);
    expect(JSON.stringify(heads.get(1))).not.toContain('tok_s3cret');
    expect(logged.join('\n')).not.toContain('tok_s3cret');
  });
});

/** A port on loopback nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
