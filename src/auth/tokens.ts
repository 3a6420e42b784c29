/** API tokens: random, shown once, stored as a SHA-256 digest, revocable. */
import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { apiToken, type ApiTokenRow } from '../db/schema/index.js';
import { AppError } from '../errors.js';
import { normalizeScopes, type Scope } from './scopes.js';
import { findUserByName } from './users.js';

const TOKEN_PREFIX = 'ptk_';

export function digestToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new token with the scopes it may use (at least one: a token that may do nothing is a mistake). */
export async function createApiToken(db: Database, name: string, scopes: readonly Scope[], owner?: string): Promise<{ token: string; row: ApiTokenRow }> {
  if (scopes.length === 0) throw new AppError('invalid_request', 'scopes: give at least one scope', { field: 'scopes' });
  // a token of a user acts as that user (the patch rules apply to it); without one it acts for the service
  let userId: number | null = null;
  if (owner !== undefined) {
    const user = await findUserByName(db, owner);
    if (!user) throw new AppError('invalid_request', `user: no user "${owner.slice(0, 70)}" (see patch-tracking user list)`, { field: 'user' });
    if (!user.active) throw new AppError('invalid_request', `user: "${user.name}" is deactivated (a token of theirs would not work)`, { field: 'user' });
    userId = user.id;
  }
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const [row] = await db
    .insert(apiToken)
    .values({ name, prefix: token.slice(0, TOKEN_PREFIX.length + 6), digest: digestToken(token), scopes: normalizeScopes(scopes), userId })
    .returning();
  return { token, row: row! };
}

export async function listApiTokens(db: Database): Promise<ApiTokenRow[]> {
  return db.select().from(apiToken).orderBy(asc(apiToken.id));
}

export async function revokeApiToken(db: Database, id: number): Promise<boolean> {
  const rows = await db
    .update(apiToken)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiToken.id, id), isNull(apiToken.revokedAt)))
    .returning({ id: apiToken.id });
  return rows.length > 0;
}

/** The live (not revoked) token row for a presented token, if any. */
export async function findLiveToken(db: Database, token: string): Promise<ApiTokenRow | undefined> {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const [row] = await db
    .select()
    .from(apiToken)
    .where(and(eq(apiToken.digest, digestToken(token)), isNull(apiToken.revokedAt)));
  return row;
}

export async function touchToken(db: Database, id: number): Promise<void> {
  await db.update(apiToken).set({ lastUsedAt: new Date() }).where(eq(apiToken.id, id));
}
