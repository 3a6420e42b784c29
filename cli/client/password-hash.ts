/**
 * `generate_password`: the old program's complexity rule, then a bcrypt hash for PASSWORD in settings.conf.
 * A password that breaks the rule is a usage error naming the rule, never echoing the password.
 */
import { hashPassword, passwordComplexityProblem } from '../../src/auth/passwords.js';
import { usageError } from './errors.js';

export async function generatePasswordHash(password: string): Promise<string> {
  const problem = passwordComplexityProblem(password);
  if (problem) throw usageError(`the password ${problem} (rule: 6 to 32 characters with an uppercase letter, a lowercase letter, a digit and one of ~!@#%^*-_=+)`);
  return hashPassword(password);
}
