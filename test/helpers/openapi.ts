/**
 * The service's HTTP app built only to read its OpenAPI document and its route table: no database (any use
 * of it fails loudly), so the document is exactly what routes declare.
 */
import { Authenticator } from '../../src/auth/authenticator.js';
import type { Database } from '../../src/db/client.js';
import { createApi } from '../../src/api/app.js';
import { createLogger } from '../../src/log.js';

const noDatabase = new Proxy({} as Database, {
  get(_target, name) {
    throw new Error(`the OpenAPI document must not need the database (it read db.${String(name)})`);
  },
});

export function openApiApp() {
  const authenticator = new Authenticator({ user: 'admin', passwordHash: 'unused', db: noDatabase });
  return { app: createApi({ db: noDatabase, authenticator, logger: createLogger('silent'), readAuth: false, bodyLimit: 64 * 1024 }) };
}

/** GET /api/v1/openapi.json of that app. */
export async function openApiDocument(): Promise<unknown> {
  return (await openApiApp().app.request('/api/v1/openapi.json')).json();
}
