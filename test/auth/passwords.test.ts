import { describe, expect, it } from 'vitest';
import bcrypt from 'bcryptjs';
import { hashPassword, passwordComplexityProblem, verifyPassword } from '../../src/auth/passwords.js';
import { isSupportedHash } from '../../src/settings.js';

// Produced with Python's hashlib exactly as werkzeug's generate_password_hash lays them out.
const PBKDF2 = 'pbkdf2:sha256:150000$saltsalt$8ce3797ecdc2d4c896a64211ed10fdd0d5c84439535c489f52f92f7274d3a648';
const SCRYPT =
  'scrypt:32768:8:1$NaCl1234$c2d3c03945902a8db36754fc0762164b2b12c8431117e1346477b4348e6fe9bc49f1dc5279f3d2e8194867e4f176f13a1e0fd05831fd25602a608ade4f9b91ef';

describe('password hashes', () => {
  it('accepts the old generate_password formats (werkzeug pbkdf2 and scrypt)', async () => {
    expect(isSupportedHash(PBKDF2)).toBe(true);
    expect(isSupportedHash(SCRYPT)).toBe(true);
    expect(await verifyPassword('Test@123', PBKDF2)).toBe(true);
    expect(await verifyPassword('Test@124', PBKDF2)).toBe(false);
    expect(await verifyPassword('Test@123', SCRYPT)).toBe(true);
    expect(await verifyPassword('test@123', SCRYPT)).toBe(false);
  });

  it('makes bcrypt hashes that bcrypt itself verifies', async () => {
    const hash = await hashPassword('Test@123');
    expect(hash).toMatch(/^\$2[ab]\$10\$/);
    expect(await bcrypt.compare('Test@123', hash)).toBe(true);
    expect(await verifyPassword('Test@123', hash)).toBe(true);
    expect(await verifyPassword('nope', hash)).toBe(false);
  });

  it('rejects garbage hashes instead of throwing', async () => {
    expect(await verifyPassword('x', 'md5$abc$def')).toBe(false);
    expect(await verifyPassword('x', 'plain')).toBe(false);
    expect(isSupportedHash('Test@123')).toBe(false);
  });

  it.each([
    ['Test@123', null],
    ['T@1a', /6 to 32/],
    ['test@123', /uppercase/],
    ['TEST@123', /lowercase/],
    ['Test@abc', /digit/],
    ['Test1234', /one of/],
    [`Aa1@${'x'.repeat(40)}`, /6 to 32/],
  ])('complexity rule of the old generate_password: %s', (password, problem) => {
    const result = passwordComplexityProblem(password);
    if (problem === null) expect(result).toBeNull();
    else expect(result).toMatch(problem);
  });
});
