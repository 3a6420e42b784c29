/** `token create|list|revoke`: API tokens through /api/v1/tokens; a new token is printed once, on stdout. */
import { isScope, SCOPES } from '../../../src/auth/scopes.js';
import { connect, type RunContext } from '../context.js';
import { usageError } from '../errors.js';
import type { ConnectionFlags } from '../options.js';
import { formatTable, tokenColumns } from '../table.js';

/** `--scope a --scope b,c` as one list; an unknown scope is a usage error before anything is sent. */
export function parseScopes(values: string[]): string[] {
  const scopes = values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.filter((s) => !isScope(s));
  if (unknown.length) throw usageError(`--scope: unknown scope ${JSON.stringify(unknown[0])}; choose from ${SCOPES.join(', ')}`);
  if (scopes.length === 0) throw usageError(`--scope: give at least one of ${SCOPES.join(', ')}`);
  return scopes;
}

export async function tokenCreateAction(context: RunContext, name: string, options: ConnectionFlags & { json?: boolean; scope: string[]; as?: string }) {
  const scopes = parseScopes(options.scope);
  const api = await connect(context, options, 'required');
  const token = await api.createToken(name, scopes, options.as);
  if (options.json) {
    context.io.stdout.write(`${JSON.stringify(token, null, 2)}\n`);
    return;
  }
  context.io.stderr.write(`created token ${token.id} "${token.name}" with scopes ${token.scopes.join(', ')}; it is shown only now, store it safely:\n`);
  context.io.stdout.write(`${token.token}\n`);
}

export async function tokenListAction(context: RunContext, options: ConnectionFlags & { json?: boolean }) {
  const api = await connect(context, options, 'required');
  const tokens = await api.listTokens();
  if (options.json) context.io.stdout.write(`${JSON.stringify(tokens, null, 2)}\n`);
  else if (tokens.length === 0) context.io.stderr.write('no tokens\n');
  else context.io.stdout.write(formatTable(tokens.map((t) => ({ ...t, scopes: t.scopes.join(',') })), tokenColumns));
}

export async function tokenRevokeAction(context: RunContext, id: string, options: ConnectionFlags) {
  if (!/^[1-9][0-9]{0,15}$/.test(id)) throw usageError(`token revoke: expected a token id (a number, see token list), got ${JSON.stringify(id.slice(0, 20))}`);
  const api = await connect(context, options, 'required');
  await api.revokeToken(Number(id));
  context.io.stdout.write(`revoked token ${id}\n`);
}
