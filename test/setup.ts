/**
 * Runs before every test file. Tests never reach the real GitHub/Gitee or any other host: HTTP that nock
 * does not answer fails loudly, and so does a raw socket (IMAP, PostgreSQL, git over TCP) to anything but
 * this machine's loopback. Child processes (git, the CLI run as a program) are not covered.
 */
import net from 'node:net';
import nock from 'nock';

process.env.LOG_LEVEL ??= 'silent';
// tests use local bare repositories as upstreams; services and CLIs they spawn inherit this
// (test/sources/upstream-policy.test.ts shows the default, which refuses them)
process.env.PATCH_TRACKING_ALLOW_LOCAL_UPSTREAMS ??= 'true';

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost, with or without a port (nock passes "host:port"). */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|::ffff:127(\.\d{1,3}){3}|\[(::1|::ffff:127(\.\d{1,3}){3})\])(:\d+)?$/i;

function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

nock.disableNetConnect();
nock.enableNetConnect(isLoopback);

/** Where `socket.connect(...)` is told to go, in any of its call forms; null for a Unix socket or a pipe. */
function connectTarget(args: unknown[]): string | null {
  // net.connect() and tls.connect() pass one array of already-normalized arguments
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: unknown; path?: unknown };
    if (typeof options.path === 'string') return null;
    return typeof options.host === 'string' && options.host !== '' ? options.host : 'localhost';
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return null; // a path
  return typeof args[1] === 'string' ? args[1] : 'localhost';
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const host = connectTarget(args);
  if (host !== null && !isLoopback(host)) {
    const error = Object.assign(new Error(`tests may not reach the network: a socket to ${host} (test/setup.ts allows only loopback)`), {
      code: 'ENETUNREACH',
    });
    process.nextTick(() => this.destroy(error));
    return this;
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
