import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as passwords from '../../src/auth/passwords.js';
import { Authenticator } from '../../src/auth/authenticator.js';
import { ALL_SCOPES } from '../../src/auth/scopes.js';
import { createApiToken } from '../../src/auth/tokens.js';
import { createUser, updateUser } from '../../src/auth/users.js';
import { createTestDatabase } from '../helpers/db.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

let handle: Awaited<ReturnType<typeof createTestDatabase>>;
let hash: string;
beforeAll(async () => {
  handle = await createTestDatabase();
  hash = await passwords.hashPassword('Test@123');
});
afterAll(() => handle.close());

describe('Authenticator', () => {
  it('verifies a Basic credential once, then answers from memory', async () => {
    const verify = vi.fn(passwords.verifyPassword);
    const auth = new Authenticator({ user: 'admin', passwordHash: hash, db: handle.db, verify });
    for (let i = 0; i < 20; i++) {
      expect(await auth.authenticate(basic('admin', 'Test@123'), 'c1')).toEqual({ ok: true, principal: 'admin', scopes: ALL_SCOPES, credential: { adminStamp: auth.adminStamp() } });
    }
    expect(verify).toHaveBeenCalledTimes(1);
    // a different password is checked for real, not answered from the cache
    expect((await auth.authenticate(basic('admin', 'Test@124'), 'c1')).ok).toBe(false);
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('forgets a verified credential after its short lifetime, and on a password change', async () => {
    let now = 5_000_000;
    const verify = vi.fn(passwords.verifyPassword);
    const auth = new Authenticator({ user: 'admin', passwordHash: hash, db: handle.db, verify, now: () => now, cacheTtlMs: 60_000 });
    await auth.authenticate(basic('admin', 'Test@123'), 'c1');
    now += 59_000;
    await auth.authenticate(basic('admin', 'Test@123'), 'c1');
    expect(verify).toHaveBeenCalledTimes(1);
    now += 2_000;
    expect((await auth.authenticate(basic('admin', 'Test@123'), 'c1')).ok).toBe(true);
    expect(verify).toHaveBeenCalledTimes(2);

    auth.setPasswordHash(await passwords.hashPassword('New@1234'));
    expect((await auth.authenticate(basic('admin', 'Test@123'), 'c1')).ok).toBe(false);
    expect((await auth.authenticate(basic('admin', 'New@1234'), 'c1')).ok).toBe(true);
    expect(verify).toHaveBeenCalledTimes(4);
  });

  it('runs one bcrypt check for concurrent requests with one credential; each wrong password still pays for its own', async () => {
    const verify = vi.fn(passwords.verifyPassword);
    const auth = new Authenticator({ user: 'admin', passwordHash: hash, db: handle.db, verify, maxFailures: 1000 });
    const results = await Promise.all(Array.from({ length: 10 }, () => auth.authenticate(basic('admin', 'Test@123'), 'c9')));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(verify).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 3; i++) expect((await auth.authenticate(basic('admin', 'wrong-pass'), 'c9')).ok).toBe(false);
    expect(verify).toHaveBeenCalledTimes(4);
  });

  it('rejects a wrong user or password, and a missing header', async () => {
    const auth = new Authenticator({ user: 'admin', passwordHash: hash, db: handle.db });
    expect(await auth.authenticate(basic('root', 'Test@123'), 'c2')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await auth.authenticate(basic('admin', 'Test@1234'), 'c2')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await auth.authenticate(undefined, 'c2')).toMatchObject({ ok: false, reason: 'missing' });
    expect(await auth.authenticate('Digest xyz', 'c2')).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('throttles wrong passwords per (client, user), never the right password, another user or another client', async () => {
    let now = 1_000_000;
    const auth = new Authenticator({ user: 'admin', passwordHash: hash, db: handle.db, maxFailures: 3, windowMs: 10_000, now: () => now });
    for (let i = 0; i < 3; i++) await auth.authenticate(basic('admin', 'bad'), 'attacker');
    expect(await auth.authenticate(basic('admin', 'bad'), 'attacker')).toEqual({ ok: false, reason: 'throttled', retryAfterSeconds: 10 });
    expect(await auth.authenticate(basic('admin', 'Test@123'), 'attacker')).toEqual({ ok: true, principal: 'admin', scopes: ALL_SCOPES, credential: { adminStamp: auth.adminStamp() } });
    for (let i = 0; i < 3; i++) await auth.authenticate(basic('admin', 'bad'), 'attacker');
    expect(await auth.authenticate(basic('root', 'bad'), 'attacker')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await auth.authenticate(basic('admin', 'bad'), 'someone-else')).toMatchObject({ ok: false, reason: 'invalid' });
    now += 10_001;
    expect(await auth.authenticate(basic('admin', 'bad'), 'attacker')).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('checks an unknown user against a hash too, so it costs what a known one does', async () => {
    const verify = vi.fn(passwords.verifyPassword);
    const auth = new Authenticator({ user: 'admin', passwordHash: hash, db: handle.db, verify });
    expect(await auth.authenticate(basic('nobody', 'Test@123'), 'c3')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(verify).toHaveBeenCalledTimes(1);
    expect(verify.mock.calls[0]![1]).toMatch(/^\$2[aby]\$10\$/);
  });

  it('does not block the event loop while bcrypt runs', async () => {
    const auth = new Authenticator({ user: 'admin', passwordHash: hash, db: handle.db, maxFailures: 1000 });
    const checks = Array.from({ length: 8 }, (_, i) => auth.authenticate(basic('admin', `wrong-${i}`), `c-${i % 4}`));
    // the longest the loop is held while eight comparisons (~100 ms each) are under way
    let longest = 0;
    let last = performance.now();
    let done = false;
    const tick = setInterval(() => {
      const t = performance.now();
      longest = Math.max(longest, t - last);
      last = t;
    }, 5);
    await Promise.all(checks).finally(() => (done = true));
    clearInterval(tick);
    expect(done).toBe(true);
    expect(longest).toBeLessThan(200);
  });

  it('refuses a deactivated user, by password (even one verified a moment ago) and by their token; says what a login rests on', async () => {
    const auth = new Authenticator({ user: 'admin', passwordHash: hash, db: handle.db });
    const user = await createUser(handle.db, { name: 'dora', email: 'dora@example.org', password: 'dora password 1' });
    const { token, row } = await createApiToken(handle.db, 'dora-bot', ['patches'], 'dora');
    const byPassword = await auth.authenticate(basic('dora', 'dora password 1'), 'c9');
    expect(byPassword).toMatchObject({ ok: true, principal: 'dora', credential: { userId: user.id, userStamp: 0 } });
    expect(await auth.authenticate(`Bearer ${token}`, 'c9')).toMatchObject({ ok: true, principal: 'token:dora-bot', credential: { tokenId: row.id, userId: user.id, userStamp: 0 } });

    await updateUser(handle.db, 'dora', { active: false });
    expect(await auth.authenticate(basic('dora', 'dora password 1'), 'c9')).toEqual({ ok: false, reason: 'invalid' });
    expect(await auth.authenticate(`Bearer ${token}`, 'c9')).toEqual({ ok: false, reason: 'invalid' });
    await updateUser(handle.db, 'dora', { active: true });
    expect(await auth.authenticate(basic('dora', 'dora password 1'), 'c9')).toMatchObject({ ok: true, credential: { userStamp: 2 } });
  });
});
