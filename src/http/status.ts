/**
 * The one table where an error's code becomes an HTTP status. Domain code only throws codes (AppError);
 * each presentation that answers over HTTP (the API's JSON errors, the dashboard's error pages) asks here.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppError } from '../errors.js';

/** Every code whose answer is not 400 (bad input, the default). */
const STATUS_BY_CODE: Readonly<Record<string, ContentfulStatusCode>> = {
  unauthorized: 401,
  webhook_unauthenticated: 401,
  webhook_stale: 401,
  webhook_not_configured: 403,
  csrf_failed: 403,
  patch_forbidden: 403,
  insufficient_scope: 403,
  not_found: 404,
  no_previous_version: 404,
  forge_not_found: 404,
  upstream_not_found: 404,
  conflict: 409,
  busy: 409,
  tracking_busy: 409,
  tracking_paused: 409,
  lease_lost: 409,
  database_in_use: 409,
  project_exists: 409,
  user_exists: 409,
  commit_not_found: 409,
  not_ancestor: 409,
  webhook_replayed: 409,
  body_too_large: 413,
  unsupported_media_type: 415,
  ci_unsupported_media_type: 415,
  invalid_patch: 422,
  patch_not_utf8: 422,
  spec_unrecognized: 422,
  upstream_unsupported: 422,
  not_recreatable: 409,
  too_many_attempts: 429,
  database_unavailable: 503,
  forge_rate_limited: 429,
  internal_error: 500,
  ci_patch_missing: 500,
  ci_data_dir_missing: 500,
  ci_invalid_email: 500,
  ci_email_failed: 500,
  patch_missing: 500,
  duplicate_commit: 500,
  forge_token_missing: 500,
  forge_http: 502,
  upstream_error: 502,
  forge_auth: 502,
  git_failed: 502,
  git_unavailable: 502,
  git_timeout: 502,
  ci_not_configured: 503,
  source_unavailable: 503,
  engine_unavailable: 503,
  analysis_unavailable: 503,
  mirror_locked: 503,
  forge_timeout: 504,
};

/** A forge's refusal is relayed with the status the forge answered (what clients of this API have always seen). */
const RELAYS_UPSTREAM_STATUS = new Set(['forge_http', 'forge_auth', 'forge_rate_limited']);

export function statusOf(err: AppError | string): ContentfulStatusCode {
  const code = typeof err === 'string' ? err : err.code;
  if (typeof err !== 'string' && RELAYS_UPSTREAM_STATUS.has(code) && err.upstreamStatus && err.upstreamStatus >= 400 && err.upstreamStatus <= 599) {
    return err.upstreamStatus as ContentfulStatusCode;
  }
  return STATUS_BY_CODE[code] ?? 400;
}
