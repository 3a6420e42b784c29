/**
 * A live service on a random local port for end-to-end tests (CLI, HTTPS), on the test database engine.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashPassword } from '../../src/auth/passwords.js';
import { createLogger, type Logger } from '../../src/log.js';
import { startService, type Service } from '../../src/main.js';
import { resolveSettings, type Settings } from '../../src/settings.js';
import { parseSettingsFile } from '../../src/settings-file.js';
import { createThrowawayDatabase } from './db.js';

export const TEST_USER = 'admin';
export const TEST_PASSWORD = 'Test@123';

export interface TestService extends Service {
  dataDir: string;
  settings: Settings;
  certFile?: string;
}

/** A self-signed certificate for 127.0.0.1/localhost, made with openssl. */
export function makeSelfSignedCert(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'self-signed.crt');
  const key = path.join(dir, 'self-signed.key');
  execFileSync('openssl', [
    'req', '-x509', '-days', '2', '-subj', '/CN=localhost', '-nodes', '-newkey', 'rsa:2048',
    '-keyout', key, '-out', cert, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  return { cert, key };
}

/**
 * `embedded`: the service runs its own embedded server under the fresh DATA_DIR, as in production (slower:
 * a new cluster); otherwise it gets a throwaway database on the test run's server.
 */
export async function startTestService(
  options: { tls?: boolean; extraSettings?: Record<string, string>; embedded?: boolean; dataDir?: string; logger?: Logger; scheduler?: boolean } = {},
): Promise<TestService> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'pt-service-'));
  const tls = options.tls ? makeSelfSignedCert(dataDir) : undefined;
  const lines = [
    'LISTEN = "127.0.0.1:0"',
    `PASSWORD = "${await hashPassword(TEST_PASSWORD)}"`,
    `DATA_DIR = "${dataDir}"`,
    ...(tls ? [`TLS_CERT = "${tls.cert}"`, `TLS_KEY = "${tls.key}"`] : []),
    // local bare repositories are the tests' upstreams; a test of the default sets it to false
    ...(options.extraSettings?.ALLOW_LOCAL_UPSTREAMS === undefined ? ['ALLOW_LOCAL_UPSTREAMS = true'] : []),
    ...Object.entries(options.extraSettings ?? {}).map(([k, v]) => `${k} = "${v}"`),
  ];
  const configFile = path.join(dataDir, 'settings.conf');
  writeFileSync(configFile, `${lines.join('\n')}\n`);
  const throwaway = options.embedded ? undefined : await createThrowawayDatabase();
  const settings = resolveSettings(parseSettingsFile(lines.join('\n'), configFile), {}, configFile);
  if (throwaway) settings.databaseUrl = throwaway.url;
  const service = await startService(settings, { logger: options.logger ?? createLogger('silent'), out: () => {}, scheduler: options.scheduler ?? false });
  return {
    ...service,
    dataDir,
    settings,
    certFile: tls?.cert,
    async stop() {
      await service.stop();
      await throwaway?.drop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
