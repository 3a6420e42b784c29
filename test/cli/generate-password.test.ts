import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { runGeneratePassword } from '../../cli/client/program.js';
import { cli, cliProcess, type CliResult } from './run-cli.js';

describe('generate-password', () => {
  it('prints a bcrypt hash that verifies with bcryptjs (the generate_password bin, as the old guide runs it)', async () => {
    const result = await cliProcess('generate-password', ['Test@123']);
    expect(result.code).toBe(0);
    const hash = result.stdout.trim();
    expect(hash).toMatch(/^\$2[aby]\$\d\d\$.{53}$/);
    expect(await bcrypt.compare('Test@123', hash)).toBe(true);
    expect(await bcrypt.compare('Test@124', hash)).toBe(false);
  });

  it.each([
    ['Te@1a', 'must be 6 to 32 characters long'],
    [`Te@1${'a'.repeat(29)}`, 'must be 6 to 32 characters long'],
    ['test@123', 'must contain an uppercase letter'],
    ['TEST@123', 'must contain a lowercase letter'],
    ['Test@abc', 'must contain a digit'],
    ['Test1234', 'must contain one of ~!@#%^*-_=+'],
    ['Test$123', 'must contain one of ~!@#%^*-_=+'],
  ])('refuses %s: %s (exit 2, the password not echoed)', async (password, reason) => {
    const result = await cli(['generate-password', password]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`the password ${reason}`);
    expect(result.stderr).not.toContain(password);
  });

  it('accepts the boundaries of the rule: 6 and 32 characters, each special character', async () => {
    for (const password of ['Aa1~bc', `Aa1+${'b'.repeat(28)}`, 'Aa1_bc', 'Aa1=bc', 'Aa1^bc']) {
      const result = await cli(['generate-password', password]);
      expect(result.code, password).toBe(0);
      expect(await bcrypt.compare(password, result.stdout.trim())).toBe(true);
    }
  });

  it('asks twice on a terminal when no password is given, and refuses without one otherwise', async () => {
    const answers = (...values: string[]) => {
      const queue = [...values];
      return { stdinIsTTY: true, promptPassword: async () => queue.shift() ?? '' };
    };
    const runBin = async (io: Partial<Parameters<typeof runGeneratePassword>[1]>): Promise<CliResult> => {
      let stdout = '';
      let stderr = '';
      const code = await runGeneratePassword([], {
        stdout: { write: (t: string) => (stdout += t) },
        stderr: { write: (t: string) => (stderr += t) },
        env: {},
        cwd: process.cwd(),
        stdinIsTTY: false,
        promptPassword: async () => '',
        ...io,
      });
      return { code, stdout, stderr };
    };
    const ok = await runBin(answers('Secret@42', 'Secret@42'));
    expect(ok.code).toBe(0);
    expect(await bcrypt.compare('Secret@42', ok.stdout.trim())).toBe(true);
    expect(await runBin(answers('Secret@42', 'Secret@43'))).toMatchObject({ code: 2, stderr: 'generate_password: the two passwords differ\n' });
    const noTty = await runBin({});
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain('give the password as an argument');
  });
});
