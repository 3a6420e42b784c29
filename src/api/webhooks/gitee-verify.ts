/**
 * Gitee webhook authentication. Gitee sends `X-Gitee-Token` and `X-Gitee-Timestamp` (ms). The token is
 * either the plain password (password mode) or base64(HMAC-SHA256(secret, `${timestamp}\n${secret}`))
 * (signature mode); both are accepted for the configured GITEE_WEBHOOK_SECRET. A timestamp more than an
 * hour away (Gitee's documented window for the signature) is stale. A delivery already accepted is a
 * replay: it is recognised by what it is (timestamp, event and body), not by how its token happens to be
 * spelled, since the same signature can be percent-encoded in many ways, and two different deliveries in
 * the same millisecond differ in their bodies.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { firstDelivery } from '../../lifecycle/deliveries.js';

export const MAX_SKEW_MS = 60 * 60_000;

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
export async function verifyGiteeRequest(
  options: GiteeVerifyOptions,
  headers: { token?: string; timestamp?: string; event?: string },
  body: string,
): Promise<'password' | 'signature'> {
  if (!options.secret) throw new AppError('webhook_not_configured', 'Gitee webhooks are not enabled here (GITEE_WEBHOOK_SECRET is not set)');
  const { token, timestamp } = headers;
  if (!token) throw new AppError('webhook_unauthenticated', 'the X-Gitee-Token header is missing');
  if (!timestamp || !/^\d{10,16}$/.test(timestamp)) {
    throw new AppError('webhook_unauthenticated', 'the X-Gitee-Timestamp header is missing or not a number of milliseconds');
  }
  const now = options.now?.() ?? Date.now();
  if (Math.abs(now - Number(timestamp)) > MAX_SKEW_MS) {
    throw new AppError('webhook_stale', 'the X-Gitee-Timestamp is more than an hour away from this server\'s clock');
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

  const delivery = createHash('sha256').update(`${timestamp}\n${headers.event ?? ''}\n${body}`).digest('hex');
  // a replay is refused as stale once the window is over, so keys need to outlive it only
  if (!(await firstDelivery(options.db, 'gitee', delivery, 2 * MAX_SKEW_MS, now))) {
    throw new AppError('webhook_replayed', 'this delivery was already received');
  }
  return mode;
}
