/**
 * First start without a configured PASSWORD: make a random admin password, keep only its bcrypt hash in the
 * data dir, and hand the password to the caller to print once. Later starts read the stored hash.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hashPassword, passwordComplexityProblem } from './passwords.js';

export const GENERATED_HASH_FILE = 'admin-password.hash';

export async function ensureAdminPassword(dataDir: string): Promise<{ hash: string; generatedPassword?: string }> {
  const file = path.join(dataDir, GENERATED_HASH_FILE);
  if (existsSync(file)) return { hash: readFileSync(file, 'utf8').trim() };
  let password = '';
  do {
    // base64url plus one character from each class the old complexity rule asks for
    password = `${randomBytes(15).toString('base64url')}Aa1-`;
  } while (passwordComplexityProblem(password));
  const hash = await hashPassword(password);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${hash}\n`, { mode: 0o600, flag: 'wx' });
  return { hash, generatedPassword: password };
}
