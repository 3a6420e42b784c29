/**
 * git:// upstreams connect only to the addresses the upstream policy checked, as curl's resolve list does for
 * http(s): git reaches a git:// host through `core.gitProxy`, a program it runs with the host and port and
 * talks the protocol through. Ours connects to the first checked address that answers (given in the
 * environment, never resolved again) and pipes the connection to git. git runs that program without a shell,
 * so it must be one executable path: a two-line wrapper and the proxy's JavaScript, written once per process
 * into `DATA_DIR/git-proxy/` (0700), or a private temporary folder without a data directory (or where that
 * folder cannot be written). DATA_DIR first, because hardened servers often mount /tmp noexec (a CIS
 * benchmark rule), where git could not run it.
 */
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** the environment variable that hands the checked addresses to the proxy: comma-separated */
export const PINNED_ADDRESSES_ENV = 'PATCH_TRACKING_GIT_ADDRESSES';

const PROXY_SOURCE = `'use strict';
// written by patch-tracking (src/sources/git-proxy.ts): git's core.gitProxy for one git:// fetch
const net = require('node:net');
const [host, port] = process.argv.slice(2);
const addresses = (process.env.${PINNED_ADDRESSES_ENV} || '').split(',').filter(Boolean);
let next = 0;
function fail(why) {
  process.stderr.write('fatal: could not connect to ' + host + ': ' + why + '\\n');
  process.exit(1);
}
function attempt(previous) {
  const address = addresses[next++];
  if (address === undefined) return fail(previous ? previous.message : 'no checked address');
  const socket = net.connect({ host: address, port: Number(port) });
  socket.once('error', attempt);
  socket.once('connect', () => {
    socket.removeListener('error', attempt);
    socket.on('error', (err) => fail(err.message));
    socket.on('close', () => process.exit(0));
    process.stdin.pipe(socket);
    socket.pipe(process.stdout);
  });
}
attempt();
`;

const written = new Map<string, string>();

/** The path to give git as core.gitProxy (written on first use in each folder). */
export function pinnedGitProxy(dataDir?: string): string {
  const key = dataDir ?? '';
  const known = written.get(key);
  if (known) return known;
  let wrapper: string | undefined;
  if (dataDir) {
    try {
      const dir = join(dataDir, 'git-proxy');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
      wrapper = writeProxy(dir);
    } catch {
      // another user's folder (a command run as root first) or a read-only DATA_DIR: a private one of our own
    }
  }
  if (!wrapper) {
    const dir = mkdtempSync(join(tmpdir(), 'patch-tracking-git-proxy-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    wrapper = writeProxy(dir);
  }
  written.set(key, wrapper);
  return wrapper;
}

/** The proxy's two files in `dir`; the wrapper's path. */
function writeProxy(dir: string): string {
  const script = join(dir, 'git-proxy.cjs');
  const wrapper = join(dir, 'git-proxy');
  // through a new name and a rename: a command starting next to the service never runs a half-written file
  writeAtomically(script, PROXY_SOURCE, 0o600);
  writeAtomically(wrapper, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(script)} "$@"\n`, 0o700);
  return wrapper;
}

function writeAtomically(path: string, content: string, mode: number): void {
  const next = `${path}.${process.pid}`;
  writeFileSync(next, content, { mode });
  chmodSync(next, mode);
  renameSync(next, path);
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
