/** The code → HTTP status table: the API's answers for the codes domain code throws. */
import { describe, expect, it } from 'vitest';
import { statusOf } from '../../src/http/status.js';
import { AppError } from '../../src/errors.js';

describe('statusOf', () => {
  it('gives each code its status, and 400 to a code the table does not list (bad input)', () => {
    expect(statusOf(new AppError('not_found', 'x'))).toBe(404);
    expect(statusOf(new AppError('not_ancestor', 'x'))).toBe(409);
    expect(statusOf(new AppError('unsupported_media_type', 'x'))).toBe(415);
    expect(statusOf(new AppError('ci_not_configured', 'x'))).toBe(503);
    expect(statusOf(new AppError('forge_timeout', 'x'))).toBe(504);
    expect(statusOf(new AppError('invalid_request', 'x'))).toBe(400);
    expect(statusOf(new AppError('settings_invalid', 'x'))).toBe(400);
    expect(statusOf('unauthorized')).toBe(401);
  });

  it("relays a forge's own status for its refusals, and only for those", () => {
    expect(statusOf(new AppError('forge_http', 'x', { upstreamStatus: 500 }))).toBe(500);
    expect(statusOf(new AppError('forge_http', 'x'))).toBe(502);
    expect(statusOf(new AppError('forge_auth', 'x', { upstreamStatus: 403 }))).toBe(403);
    expect(statusOf(new AppError('forge_rate_limited', 'x'))).toBe(429);
    // a status that is not an error is not relayed
    expect(statusOf(new AppError('forge_http', 'x', { upstreamStatus: 200 }))).toBe(502);
    expect(statusOf(new AppError('forge_not_found', 'x', { upstreamStatus: 410 }))).toBe(404);
  });
});
