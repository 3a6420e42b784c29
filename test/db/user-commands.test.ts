/** `patch-tracking user …` (add, list, passwd, update, deactivate, activate, remove) and `project maintainer …`: the admin's commands for users and maintainers, on the embedded database. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/passwords.js';
import { findUserByName } from '../../src/auth/users.js';
import { openDatabase } from '../../src/db/client.js';
import { LIST_ID } from '../mail-ingest/mails.js';
import { runBin, tempDataDirs } from './helpers.js';

const tmp = tempDataDirs('pt-users-');

describe('user and maintainer commands', { timeout: 240_000 }, () => {
  it('add, list, passwd, remove users; add and remove maintainers; refuse bad input with a clear message', async () => {
    const dataDir = tmp();
    const env = { DATA_DIR: dataDir };
    expect((await runBin(['project', 'add', 'dev', '--list-id', LIST_ID], env)).code).toBe(0);

    const add = await runBin(['user', 'add', 'maint', '--email', 'Maint@Example.org'], env, Buffer.from('first password 1\n'));
    expect(add, add.stderr).toMatchObject({ code: 0, stdout: 'added user maint <maint@example.org>\n' });
    const file = path.join(dataDir, 'pw');
    writeFileSync(file, 'eve password 12\n');
    expect((await runBin(['user', 'add', 'eve', '--email', 'eve@example.org', '--admin', '--password-file', file], env)).code).toBe(0);

    const dup = await runBin(['user', 'add', 'maint', '--email', 'm@example.org'], env, Buffer.from('another password\n'));
    expect(dup).toMatchObject({ code: 1, stderr: 'patch-tracking: a user named "maint" exists\n' });
    const badEmail = await runBin(['user', 'add', 'bob', '--email', 'not-an-address'], env, Buffer.from('bob password 12\n'));
    expect(badEmail.code).toBe(1);
    expect(badEmail.stderr).toContain('email "not-an-address" is not an email address');
    const reserved = await runBin(['user', 'add', 'admin', '--email', 'a@example.org'], env, Buffer.from('admin password 1\n'));
    expect(reserved.code).toBe(1);
    expect(reserved.stderr).toContain('is the admin of the settings (USER)');
    const noPassword = await runBin(['user', 'add', 'bob', '--email', 'bob@example.org'], env);
    expect(noPassword.code).toBe(2);

    expect((await runBin(['project', 'maintainer', 'add', 'dev', 'maint'], env)).stdout).toBe('maint maintains dev\n');
    const unknown = await runBin(['project', 'maintainer', 'add', 'nope', 'maint'], env);
    expect(unknown).toMatchObject({ code: 1, stderr: 'patch-tracking: no project "nope"\n' });
    expect((await runBin(['project', 'maintainer', 'list', 'dev'], env)).stdout).toBe('maint\n');
    const listed = JSON.parse((await runBin(['user', 'list', '--json'], env)).stdout) as Array<{ name: string; admin: boolean; maintains: string[] }>;
    expect(listed.map(({ name, admin, maintains }) => ({ name, admin, maintains }))).toEqual([
      { name: 'maint', admin: false, maintains: ['dev'] },
      { name: 'eve', admin: true, maintains: [] },
    ]);

    expect((await runBin(['user', 'passwd', 'maint'], env, Buffer.from('second password 2\n'))).code).toBe(0);
    const updated = await runBin(['user', 'update', 'maint', '--email', 'New@Example.org', '--admin'], env);
    expect(updated, updated.stderr).toMatchObject({ code: 0, stdout: 'maint <new@example.org> (admin); their dashboard sessions ended\n' });
    expect((await runBin(['user', 'update', 'maint', '--no-admin'], env)).stdout).toBe('maint <new@example.org>; their dashboard sessions ended\n');
    expect((await runBin(['user', 'update', 'maint'], env))).toMatchObject({ code: 1, stderr: 'patch-tracking: nothing to change: give an email, the admin flag or active\n' });
    expect((await runBin(['user', 'deactivate', 'maint'], env)).stdout).toBe('maint <new@example.org> (deactivated); their dashboard sessions ended\n');
    expect((await runBin(['user', 'list'], env)).stdout).toMatch(/\tmaint\tnew@example\.org\tdeactivated\tmaintains dev\n/);
    expect((await runBin(['user', 'activate', 'maint'], env)).code).toBe(0);
    expect((await runBin(['project', 'maintainer', 'remove', 'dev', 'maint'], env)).stdout).toBe('maint no longer maintains dev\n');
    expect((await runBin(['user', 'remove', 'eve'], env)).stdout).toBe('removed user eve\n');
    expect((await runBin(['user', 'remove', 'eve'], env)).code).toBe(1);

    const h = await openDatabase({ dataDir });
    try {
      const maint = await findUserByName(h.db, 'maint');
      expect(await verifyPassword('second password 2', maint!.passwordHash)).toBe(true);
      expect(await verifyPassword('first password 1', maint!.passwordHash)).toBe(false);
      // password, email + admin, admin, deactivate, activate: each moved the stamp that ends dashboard sessions
      expect(maint).toMatchObject({ email: 'new@example.org', admin: false, active: true, stamp: 5 });
      expect(await findUserByName(h.db, 'eve')).toBeUndefined();
    } finally {
      await h.close();
    }
  });
});
