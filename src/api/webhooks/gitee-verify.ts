/**
 * Gitee webhook authentication. Gitee sends `X-Gitee-Token` and `X-Gitee-Timestamp` (ms). The token is
 * either the plain password (password mode) or base64(HMAC-SHA256(secret, `${timestamp}\n${secret}`))
 * (signature mode); both are accepted for the configured GITEE_WEBHOOK_SECRET. A timestamp more than 5
 * minutes away, or a (timestamp, token) pair already accepted (kept in the database, so every replica
 * sees it), is a replay and refused.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { lt } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { webhookDelivery } from '../../db/schema/index.js';
import { AppError } from '../../errors.js';

export const MAX_SKEW_MS = 5 * 60_000;

export function giteeSignature(secret: string, timestamp: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface GiteeVerifyOptions {
  secret: string;
  db: Database;
  now?: () => number;
}

/** Resolves when the request is authentic and new; AppError 401 (bad or stale) / 409 (replayed) otherwise. */
export async function verifyGiteeRequest(options: GiteeVerifyOptions, headers: { token?: string; timestamp?: string }): Promise<'password' | 'signature'> {
  if (!options.secret) throw new AppError('webhook_not_configured', 'Gitee webhooks are not enabled here (GITEE_WEBHOOK_SECRET is not set)');
  const { token, timestamp } = headers;
  if (!token) throw new AppError('webhook_unauthenticated', 'the X-Gitee-Token header is missing');
  if (!timestamp || !/^\d{10,16}$/.test(timestamp)) {
    throw new AppError('webhook_unauthenticated', 'the X-Gitee-Timestamp header is missing or not a number of milliseconds');
  }
  const now = options.now?.() ?? Date.now();
  if (Math.abs(now - Number(timestamp)) > MAX_SKEW_MS) {
    throw new AppError('webhook_stale', 'the X-Gitee-Timestamp is more than 5 minutes away from this server\'s clock');
  }
  let decoded = token;
  try {
    decoded = decodeURIComponent(token);
  } catch {
    // not URL-encoded: compare as sent
  }
  const signature = giteeSignature(options.secret, timestamp);
  const mode = equal(decoded, signature) || equal(token, signature) ? 'signature' : equal(token, options.secret) ? 'password' : null;
  // never say which part was wrong or echo the token
  if (!mode) throw new AppError('webhook_unauthenticated', 'the X-Gitee-Token does not match the configured secret');

  const key = createHash('sha256').update(`${timestamp}:${token}`).digest('hex');
  await options.db.delete(webhookDelivery).where(lt(webhookDelivery.seenAt, new Date(now - 2 * MAX_SKEW_MS)));
  const inserted = await options.db.insert(webhookDelivery).values({ key, seenAt: new Date(now) }).onConflictDoNothing().returning({ key: webhookDelivery.key });
  if (inserted.length === 0) throw new AppError('webhook_replayed', 'this delivery (timestamp and token) was already received');
  return mode;
}
