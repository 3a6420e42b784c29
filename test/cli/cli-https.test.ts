/**
 * patch-tracking-cli against services configured like the old program: TLS on with a self-signed
 * certificate. Verification stays on; the certificate is trusted through --ca, PATCH_TRACKING_CA or the
 * local settings file's TLS_CERT, or skipped with an explicit --insecure.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from '../helpers/git-repo.js';
import { startTestService, TEST_PASSWORD, type TestService } from '../helpers/service.js';
import { cli, cliProcess } from './run-cli.js';

let service: TestService;
let server: string;
let oldStyle: TestService;
let oldStyleServer: string;
let oldStyleCert: string;

/** The certificate exactly as the old guide makes it: CN=self-signed, no subjectAltName for 127.0.0.1. */
function oldGuideCertificate(dir: string) {
  const cert = path.join(dir, 'self-signed.crt');
  const key = path.join(dir, 'self-signed.key');
  execFileSync('openssl', ['req', '-x509', '-days', '2', '-subj', '/CN=self-signed', '-nodes', '-newkey', 'rsa:2048', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

beforeAll(async () => {
  const dir = makeTempDir('pt-cli-oldcert-');
  const old = oldGuideCertificate(dir);
  oldStyleCert = old.cert;
  [service, oldStyle] = await Promise.all([startTestService({ tls: true }), startTestService({ extraSettings: { TLS_CERT: old.cert, TLS_KEY: old.key } })]);
  server = new URL(service.url).host;
  oldStyleServer = new URL(oldStyle.url).host;
  expect(service.url).toMatch(/^https:/);
  expect(oldStyle.url).toMatch(/^https:/);
});

afterAll(async () => {
  await Promise.all([service?.stop(), oldStyle?.stop()]);
  removeTempDirs();
});

const addFlags = (repo: string) => ['--version_control', 'github', '--repo', repo, '--branch', 'master', '--scm_repo', 'BJMX/testPatch01', '--scm_branch', 'test', '--enabled', 'true'];

describe('an HTTPS server with a self-signed certificate', () => {
  it('the old documented commands work with --ca', async () => {
    const ca = ['--ca', service.certFile!];
    expect(await cli(['add', '--server', server, '--user', 'admin', '--password', TEST_PASSWORD, ...addFlags('tls/ca'), ...ca])).toMatchObject({ code: 0, stdout: 'added: tls/ca master\n' });
    const query = await cli(['query', '--server', server, '--table', 'tracking', ...ca]);
    expect(query.code).toBe(0);
    expect(query.stdout).toMatch(/^tls\/ca\s+master\s+github\s+BJMX\/testPatch01\s+test\s/m);
    expect(await cli(['delete', '--server', server, '--user', 'admin', '--password', TEST_PASSWORD, '--repo', 'tls/ca', '--branch', 'master', ...ca])).toMatchObject({
      code: 0,
      stdout: 'deleted: tls/ca master\n',
    });
  });

  it('without a trusted certificate it fails with exit 1 and says how to fix it; it never falls back to http', async () => {
    const result = await cli(['add', '--server', server, '--password', TEST_PASSWORD, ...addFlags('tls/untrusted')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the TLS certificate of https://${server} is not trusted: self-signed certificate`);
    expect(result.stderr).toContain('--ca FILE');
    expect(result.stderr).toContain('--insecure');
    expect(result.stderr).not.toContain(TEST_PASSWORD);
    const rows = await cli(['query', '--server', server, '--json', '--insecure']);
    expect(JSON.parse(rows.stdout)).toEqual([]);
  });

  it('a certificate other than the server\'s does not help', async () => {
    const result = await cli(['query', '--server', server, '--ca', oldStyleCert]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is not trusted');
    expect(result.stderr).toContain(`(also trusted: --ca ${oldStyleCert})`);
  });

  it('--insecure skips verification explicitly; PATCH_TRACKING_CA trusts a certificate', async () => {
    expect(await cli(['add', '--server', server, '--password', TEST_PASSWORD, '--insecure', ...addFlags('tls/insecure')])).toMatchObject({ code: 0 });
    const env = await cli(['query', '--server', `https://localhost:${new URL(service.url).port}`, '--repo', 'tls/insecure', '--json'], { env: { PATCH_TRACKING_CA: service.certFile } });
    expect(env.code).toBe(0);
    expect(JSON.parse(env.stdout)).toMatchObject([{ repo: 'tls/insecure', branch: 'master' }]);
  });

  it('on the server host, the service\'s own settings file (TLS_CERT) is trusted: old commands work unchanged', async () => {
    const settingsFile = path.join(service.dataDir, 'settings.conf');
    const add = await cliProcess('patch-tracking-cli', ['add', '--server', server, '--user', 'admin', '--password', 'Test@123', ...addFlags('tls/settings')], {
      PATCH_TRACKING_CONFIG: settingsFile,
    });
    expect(add).toMatchObject({ code: 0, stdout: 'added: tls/settings master\n' });
    const query = await cli(['query', '--server', server, '--repo', 'tls/settings', '--json'], { env: { PATCH_TRACKING_CONFIG: settingsFile } });
    expect(JSON.parse(query.stdout)).toMatchObject([{ repo: 'tls/settings', enabled: true }]);
  });

  it('an http:// URL to the TLS server fails clearly', async () => {
    const result = await cli(['query', '--server', `http://${server}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`http://${server} closed the connection (if it speaks https`);
  });
});

describe("the old guide's certificate (CN=self-signed, no subjectAltName)", () => {
  it('is accepted for 127.0.0.1 when it is exactly the certificate given with --ca or named by TLS_CERT', async () => {
    const add = await cli(['add', '--server', oldStyleServer, '--password', TEST_PASSWORD, '--ca', oldStyleCert, ...addFlags('old/cert')]);
    expect(add).toMatchObject({ code: 0, stdout: 'added: old/cert master\n' });
    const settingsDir = makeTempDir('pt-cli-settings-');
    writeFileSync(path.join(settingsDir, 'settings.conf'), `# the server's settings\nLISTEN = "${oldStyleServer}"\nTLS_CERT = "${oldStyleCert}"\n`);
    const query = await cli(['query', '--server', oldStyleServer, '--json'], { env: { PATCH_TRACKING_CONFIG: path.join(settingsDir, 'settings.conf') } });
    expect(query.code).toBe(0);
    expect(JSON.parse(query.stdout)).toMatchObject([{ repo: 'old/cert' }]);
  });

  it('is still rejected when nothing trusts it', async () => {
    const result = await cli(['query', '--server', oldStyleServer]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is not trusted');
  });
});
