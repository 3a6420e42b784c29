/**
 * What one run of the CLI shares between its commands: where it writes, its exit code, and the HTTP clients
 * to close at the end; and how a command connects to the server from its flags.
 */
import { PatchTrackingApi } from './api.js';
import { resolveCredentials } from './credentials.js';
import { usageError } from './errors.js';
import { HttpClient } from './http.js';
import type { CliIo } from './io.js';
import type { ConnectionFlags } from './options.js';
import { parseServerAddress } from './server-address.js';
import { resolveTlsTrust } from './tls-trust.js';

export interface RunContext {
  io: CliIo;
  exitCode: number;
  clients: HttpClient[];
}

export async function connect(context: RunContext, flags: ConnectionFlags, auth: 'required' | 'optional'): Promise<PatchTrackingApi> {
  const { io } = context;
  const server = flags.server ?? io.env.PATCH_TRACKING_SERVER;
  if (!server) throw usageError('--server is required (host:port or an http(s):// URL, or set PATCH_TRACKING_SERVER)');
  const address = parseServerAddress(server);
  const trust = resolveTlsTrust({ caFile: flags.ca, insecure: flags.insecure, env: io.env, cwd: io.cwd });
  const credentials = await resolveCredentials(flags, io, auth === 'required');
  const http = new HttpClient(address, trust, credentials, (message) => io.stderr.write(`warning: ${message}\n`));
  context.clients.push(http);
  return new PatchTrackingApi(http);
}
