/** The API in-process (Hono's app.request), on a fresh test database, with a known admin password. */
import { Authenticator } from '../../src/auth/authenticator.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { createApi, type ApiDeps } from '../../src/api/app.js';
import { createLogger } from '../../src/log.js';
import { LOCAL_UPSTREAMS_ALLOWED } from './git-repo.js';
import { createTestDatabase } from './db.js';
import { TEST_PASSWORD, TEST_USER } from './service.js';

let cachedHash: string | undefined;

export async function createTestApi(overrides: Partial<ApiDeps> = {}) {
  // as the service on its embedded database: one-row lookups are answered from memory while nothing changed
  const handle = await createTestDatabase({ watchTrackings: true });
  cachedHash ??= await hashPassword(TEST_PASSWORD);
  const authenticator = overrides.authenticator ?? new Authenticator({ user: TEST_USER, passwordHash: cachedHash, db: handle.db });
  const app = createApi({
    db: handle.db,
    trackingChanges: handle.trackingChanges,
    authenticator,
    logger: createLogger('silent'),
    readAuth: false,
    bodyLimit: 64 * 1024,
    // local bare repositories are the tests' upstreams; a test of the default passes its own policy
    upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED,
    ...overrides,
    ...(overrides.compare ? { compare: { upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED, ...overrides.compare } } : {}),
  });
  return {
    app,
    db: handle.db,
    url: handle.url,
    changes: handle.trackingChanges!,
    close: () => handle.close(),
  };
}

export const basicAuth = (user = TEST_USER, password = TEST_PASSWORD) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export function jsonRequest(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method,
    headers: { 'content-type': 'application/json', authorization: basicAuth(), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}
