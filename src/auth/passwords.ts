/**
 * Password hashes: bcrypt for everything we produce, plus the werkzeug formats the old program's
 * generate_password wrote (`pbkdf2:sha256:150000$salt$hex`, `scrypt:N:r:p$salt$hex`), so an existing
 * settings.conf keeps working unchanged.
 */
import { pbkdf2, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { bcryptCompareOffThread } from './password-worker.js';

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (password: string, salt: string, keylen: number, options: object) => Promise<Buffer>;

export const BCRYPT_COST = 10;

export async function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (hash.startsWith('$2')) return bcryptCompareOffThread(password, hash);
  const [method, salt, hex] = hash.split('$');
  if (!method || salt === undefined || !hex) return false;
  const expected = Buffer.from(hex, 'hex');
  const parts = method.split(':');
  let actual: Buffer;
  if (parts[0] === 'pbkdf2') {
    const digest = parts[1] ?? 'sha256';
    const iterations = Number(parts[2] ?? 260000);
    if (!['sha1', 'sha256', 'sha512'].includes(digest) || !Number.isSafeInteger(iterations)) return false;
    actual = await pbkdf2Async(password, salt, iterations, expected.length, digest);
  } else if (parts[0] === 'scrypt') {
    const [n, r, p] = parts.slice(1).map(Number) as [number, number, number];
    actual = await scryptAsync(password, salt, expected.length, { N: n, r, p, maxmem: 132 * n * r * p });
  } else {
    return false;
  }
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const SPECIAL = '~!@#%^*-_=+';

/** The old program's complexity rule, with the reason a password fails it (null = acceptable). */
export function passwordComplexityProblem(password: string): string | null {
  if (password.length < 6 || password.length > 32) return 'must be 6 to 32 characters long';
  if (!/[A-Z]/.test(password)) return 'must contain an uppercase letter';
  if (!/[a-z]/.test(password)) return 'must contain a lowercase letter';
  if (!/[0-9]/.test(password)) return 'must contain a digit';
  if (![...password].some((ch) => SPECIAL.includes(ch))) return `must contain one of ${SPECIAL}`;
  return null;
}
