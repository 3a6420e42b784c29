/**
 * The README's quick start, run as written: the shell block after the `quick-start` marker is extracted
 * from README.md and run with bash in the checkout, so the README and this test cannot drift. Only the
 * surroundings are the test's: a throwaway npm prefix (so `npm link` touches nothing global), a free port,
 * and killing the demo service afterwards. The commands are the built ones (dist/, what `npm link` links):
 * they are rebuilt first when a source is newer.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO_ROOT } from './cli/run-cli.js';

/** The shell block that follows the marker comment in README.md. */
export function quickStartBlock(readme: string): string {
  const marker = readme.indexOf('<!-- quick-start:');
  if (marker < 0) throw new Error('README.md has no quick-start marker');
  const match = /```sh\n([\s\S]*?)\n```/.exec(readme.slice(marker));
  if (!match) throw new Error('no ```sh block after the quick-start marker');
  return match[1]!;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const temp: string[] = [];
afterAll(() => {
  // the demo's embedded server (a detached postgres) may still be writing its last files after SIGTERM
  for (const dir of temp) rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
});

beforeAll(ensureBuilt, 300_000);

describe('README quick start', () => {
  it('runs start to end: a dry run of a local packaging repository, its files written out, then the real tracking', async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'pt-npm-prefix-'));
    temp.push(prefix);
    const script = `set -euo pipefail\n${quickStartBlock(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'))}\nprintf 'DEMO_DIR=%s\\n' "$demo"\n`;
    const env: NodeJS.ProcessEnv = { ...process.env };
    // npm run / npx pass their own npm_config_* (the global prefix among them), which would win over ours
    // and make `npm link` write to the machine's global folder
    for (const key of Object.keys(env)) if (/^npm_/i.test(key) || key.startsWith('PATCH_TRACKING_') || key === 'NO_COLOR') delete env[key];
    Object.assign(env, { NPM_CONFIG_PREFIX: prefix, PATH: `${join(prefix, 'bin')}:${process.env.PATH}`, PORT: String(await freePort()) });

    const child = spawn('bash', ['-c', script], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    let code: number | null;
    try {
      code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    } finally {
      // the demo service runs in the background of that shell, in its process group
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    const demo = /^DEMO_DIR=(.+)$/m.exec(stdout)?.[1];
    if (demo) temp.push(demo);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    expect(existsSync(join(prefix, 'bin', 'patch-tracking-cli'))).toBe(true);

    // the dry run's report: the commit, its patch with the diff, the spec diff, the PR text
    expect(stdout).toMatch(/dry run: 1 commit\(s\) after [0-9a-f]{12} up to [0-9a-f]{12} would become 1 PR\(s\); nothing was written/);
    expect(stdout).toContain(' hello: exit with success');
    expect(stdout).toContain('-int main(void) { return 1; }\n+int main(void) { return 0; }');
    expect(stdout).toContain('-Release: 1\n+Release: 2');
    expect(stdout).not.toContain('\x1b[');

    // the files it wrote, as they would be committed
    const out = join(demo!, 'out');
    const patches = readdirSync(join(out, 'files')).filter((f) => f.endsWith('.patch'));
    expect(patches).toHaveLength(1);
    expect(readFileSync(join(out, 'files', patches[0]!), 'utf8')).toContain('Subject: [PATCH] hello: exit with success');
    expect(readFileSync(join(out, 'files', 'hello.spec'), 'utf8')).toContain(`Patch6000: ${patches[0]}`);
    expect(readFileSync(join(out, 'pull-request.md'), 'utf8')).toMatch(/^\[patch tracking\] \d+\n\n/);
    expect(stdout).toContain(readFileSync(join(out, 'pull-request.md'), 'utf8'));

    // the local repository was only read, and the real tracking is there, enabled
    expect(execFileSync('git', ['-C', join(demo!, 'hello'), 'branch', '--list'], { encoding: 'utf8' }).trim()).toBe('* master');
    expect(stdout).toMatch(/^repo: +src-openeuler\/hello$/m);
    expect(stdout).toMatch(/^enabled: +true$/m);
  }, 300_000);
});
