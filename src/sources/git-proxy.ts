/**
 * git:// upstreams connect only to the addresses the upstream policy checked, as curl's resolve list does for
 * http(s): git reaches a git:// host through `core.gitProxy`, a program it runs with the host and port and
 * talks the protocol through. Ours connects to the first checked address that answers (given in the
 * environment, never resolved again) and pipes the connection to git. git runs that program without a shell,
 * so it must be one executable path: a two-line wrapper and the proxy's JavaScript, written once per process
 * into a private (0700) temporary folder.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

let written: string | undefined;

/** The path to give git as core.gitProxy (written on first use). */
export function pinnedGitProxy(): string {
  if (written) return written;
  const dir = mkdtempSync(join(tmpdir(), 'patch-tracking-git-proxy-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'git-proxy.cjs');
  const wrapper = join(dir, 'git-proxy');
  writeFileSync(script, PROXY_SOURCE, { mode: 0o600 });
  writeFileSync(wrapper, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(script)} "$@"\n`, { mode: 0o700 });
  chmodSync(wrapper, 0o700);
  written = wrapper;
  return wrapper;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
