/**
 * Where the credentials come from, most explicit first: --token, --password, PATCH_TRACKING_TOKEN,
 * PATCH_TRACKING_PASSWORD, then a prompt without echo when stdin is a terminal. The secret only ever goes
 * into the Authorization header.
 */
import type { Credentials } from './http.js';
import type { CliIo } from './io.js';
import { usageError } from './errors.js';

export interface AuthFlags {
  user?: string;
  password?: string;
  token?: string;
}

function basic(user: string, password: string): Credentials {
  if (user.includes(':')) throw usageError('--user must not contain ":"');
  return { header: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`, kind: 'password', user };
}

function bearer(token: string): Credentials {
  return { header: `Bearer ${token.trim()}`, kind: 'token' };
}

/**
 * `required`: the command writes, so without credentials it cannot succeed (ask, or fail as a usage error).
 * Otherwise credentials are sent only when given (a server with READ_AUTH needs them for reads too).
 */
export async function resolveCredentials(flags: AuthFlags, io: CliIo, required: boolean): Promise<Credentials | undefined> {
  const user = flags.user || 'admin';
  if (flags.token) return bearer(flags.token);
  if (flags.password !== undefined) return basic(user, flags.password);
  if (io.env.PATCH_TRACKING_TOKEN) return bearer(io.env.PATCH_TRACKING_TOKEN);
  if (io.env.PATCH_TRACKING_PASSWORD !== undefined && io.env.PATCH_TRACKING_PASSWORD !== '') return basic(user, io.env.PATCH_TRACKING_PASSWORD);
  if (!required) return undefined;
  if (io.stdinIsTTY) {
    const password = await io.promptPassword(`Password for ${user}: `);
    if (password) return basic(user, password);
  }
  throw usageError('a password is required: give --password, set PATCH_TRACKING_PASSWORD, or use --token / PATCH_TRACKING_TOKEN');
}
