/**
 * `npx patch-tracking-cli` in the checkout runs the checkout's own built command at once: npx finds it in
 * node_modules/.bin (the commands workspace) and installs nothing. The proof is an empty npm cache and
 * --offline: had npx tried to install the checkout (what it does for a root package's own bins), it
 * would have written `_npx` into that cache, or failed offline.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO_ROOT } from './run-cli.js';

const run = promisify(execFile);
const cache = mkdtempSync(join(tmpdir(), 'pt-npm-cache-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));
beforeAll(ensureBuilt, 300_000);

/** The environment of a person's shell: none of the npm_config_* that `npm test` passes down. */
function shellEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_cache: cache };
  for (const key of Object.keys(env)) if (/^npm_/i.test(key) && key !== 'npm_config_cache') delete env[key];
  return env;
}

describe('npx in the checkout', () => {
  it.each([
    ['patch-tracking-cli', /^Usage: patch-tracking-cli /],
    ['patch-tracking', /^Usage: patch-tracking /],
    ['generate_password', /^Usage: generate_password /],
  ])('npx %s runs the built command offline, installing nothing', async (command, usage) => {
    const { stdout } = await run('npx', ['--offline', command, '--help'], { cwd: REPO_ROOT, env: shellEnv(), timeout: 60_000 });
    expect(stdout).toMatch(usage);
    expect(existsSync(join(cache, '_npx'))).toBe(false);
  }, 90_000);
});
