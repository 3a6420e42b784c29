/** The service's API with the integration routes mounted, on a fresh database, plus the mail store. */
import { createApi, type ApiDeps } from '../../src/api/app.js';
import { Authenticator } from '../../src/auth/authenticator.js';
import { hashPassword } from '../../src/auth/passwords.js';
import type { CiSettings } from '../../src/ci/publish-hook.js';
import type { Database } from '../../src/db/client.js';
import { createLogger } from '../../src/log.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createTestDatabase } from '../helpers/db.js';
import { TEST_PASSWORD, TEST_USER } from '../helpers/service.js';

export const NO_CI: CiSettings = { ciHandler: '', ciHandlerArguments: [], ciHandlerTimeout: 600, ciDataDir: '', ciEmail: '' };

let cachedHash: string | undefined;

/** `db`: another app over an existing test database (closing it leaves the database to its owner). */
export async function createIntegrationApi(options: { settings?: Partial<CiSettings>; readAuth?: boolean; db?: Database; scanNow?: ApiDeps['scanNow']; upstreamed?: ApiDeps['upstreamed'] } = {}) {
  const logger = createLogger('silent');
  const settings = { ...NO_CI, ...options.settings };
  const handle = options.db ? { db: options.db, close: async () => {} } : await createTestDatabase();
  cachedHash ??= await hashPassword(TEST_PASSWORD);
  const authenticator = new Authenticator({ user: TEST_USER, passwordHash: cachedHash, db: handle.db });
  const app = createApi({
    db: handle.db,
    authenticator,
    logger,
    readAuth: options.readAuth ?? false,
    bodyLimit: 4 * 1024 * 1024,
    ci: settings,
    scanNow: options.scanNow,
    upstreamed: options.upstreamed,
  });
  return { app, db: handle.db, close: () => handle.close(), store: new MailStore(handle.db), logger };
}

export { basicAuth } from '../helpers/api.js';
