/** `generate-password` / `generate_password`: a bcrypt hash for PASSWORD in settings.conf. */
import type { RunContext } from '../context.js';
import { usageError } from '../errors.js';
import { generatePasswordHash } from '../password-hash.js';

export async function generatePasswordAction(context: RunContext, given: string | undefined) {
  const { io } = context;
  let password = given;
  if (password === undefined) {
    if (!io.stdinIsTTY) throw usageError('give the password as an argument (or run on a terminal to be asked for it)');
    password = await io.promptPassword('Password: ');
    if ((await io.promptPassword('Again: ')) !== password) throw usageError('the two passwords differ');
  }
  io.stdout.write(`${await generatePasswordHash(password)}\n`);
}
