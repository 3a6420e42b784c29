/**
 * `patch-tracking user add|list|update|deactivate|activate|remove|passwd` and `project maintainer add|remove|list`: the admin's
 * commands for the users who log in besides the settings' USER, and the maintainers of mailing-list
 * projects. Like `project add` they work on the database the service uses (directly, or beside a running
 * embedded server). A password is read from --password-file or from the first line of stdin, never from
 * an argument (it would show in `ps` and the shell's history).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { addMaintainer, createUser, listUsers, maintainedProjects, projectMaintainers, removeMaintainer, removeUser, setUserPassword, updateUser, type UserChange } from '../src/auth/users.js';
import { AppError, errorMessage } from '../src/errors.js';
import type { Settings } from '../src/settings.js';
import { withDatabase } from './database.js';

function fail(err: unknown): never {
  process.stderr.write(`patch-tracking: ${err instanceof AppError ? err.message : errorMessage(err)}\n`);
  process.exit(err instanceof AppError && (err.code.startsWith('settings') || err.code === 'usage') ? 2 : 1);
}

async function readPassword(file: string | undefined): Promise<string> {
  let text: string;
  if (file) text = readFileSync(file, 'utf8');
  else if (process.stdin.isTTY) throw new AppError('usage', 'give the password with --password-file FILE or on stdin (e.g. from a password manager)');
  else {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  }
  const password = text.split(/\r?\n/)[0] ?? '';
  if (!password) throw new AppError('usage', 'the password is empty');
  return password;
}

export function registerUserCommands(program: Command, settingsFrom: (command: Command) => Settings): void {
  const run = (command: Command, work: (settings: Settings) => Promise<void>) => {
    let settings: Settings;
    try {
      settings = settingsFrom(command);
    } catch (err) {
      fail(err);
    }
    return work(settings).catch(fail);
  };

  const user = program.command('user').description('users who log in besides the settings USER (maintainers, submitters, admins)');
  user
    .command('add')
    .description('add a user; the password comes from --password-file or the first line of stdin')
    .argument('<name>', 'login name')
    .requiredOption('--email <address>', 'their address (patches they submitted from it are theirs)')
    .option('--admin', 'may do everything, like the settings USER')
    .option('--password-file <file>', 'file whose first line is the password')
    .action((name: string, o: { email: string; admin?: boolean; passwordFile?: string }, command: Command) =>
      run(command, async (settings) => {
        const password = await readPassword(o.passwordFile);
        const row = await withDatabase(settings, (h) => createUser(h.db, { name, email: o.email, password, admin: o.admin ?? false }, settings.user));
        process.stdout.write(`added user ${row.name} <${row.email}>${row.admin ? ' (admin)' : ''}\n`);
      }),
    );
  user
    .command('list')
    .description('list the users and the projects each maintains')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }, command: Command) =>
      run(command, async (settings) => {
        const rows = await withDatabase(settings, async (h) =>
          Promise.all((await listUsers(h.db)).map(async (u) => ({ id: u.id, name: u.name, email: u.email, admin: u.admin, active: u.active, maintains: await maintainedProjects(h.db, u.id) }))),
        );
        if (o.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
        else if (!rows.length) process.stdout.write('no users yet: add one with `patch-tracking user add NAME --email ADDRESS`\n');
        else for (const r of rows) process.stdout.write(`${r.id}\t${r.name}\t${r.email}${r.admin ? '\tadmin' : ''}${r.active ? '' : '\tdeactivated'}${r.maintains.length ? `\tmaintains ${r.maintains.join(',')}` : ''}\n`);
      }),
    );
  const change = (name: string, what: UserChange, command: Command) =>
    run(command, async (settings) => {
      const row = await withDatabase(settings, (h) => updateUser(h.db, name, what));
      process.stdout.write(`${row.name} <${row.email}>${row.admin ? ' (admin)' : ''}${row.active ? '' : ' (deactivated)'}; their dashboard sessions ended\n`);
    });
  user
    .command('update')
    .description("change a user's email or admin flag (ends their dashboard sessions)")
    .argument('<name>')
    .option('--email <address>', 'their new address')
    .option('--admin', 'make them an admin')
    .option('--no-admin', 'make them a plain user')
    .action((name: string, o: { email?: string; admin?: boolean }, command: Command) => change(name, { email: o.email, admin: o.admin }, command));
  user
    .command('deactivate')
    .description('keep the user but refuse their logins and tokens (ends their dashboard sessions)')
    .argument('<name>')
    .action((name: string, _o: unknown, command: Command) => change(name, { active: false }, command));
  user
    .command('activate')
    .description('let a deactivated user log in again')
    .argument('<name>')
    .action((name: string, _o: unknown, command: Command) => change(name, { active: true }, command));
  user
    .command('remove')
    .description('remove a user, their API tokens and their maintainerships')
    .argument('<name>')
    .action((name: string, _o: unknown, command: Command) =>
      run(command, async (settings) => {
        await withDatabase(settings, (h) => removeUser(h.db, name));
        process.stdout.write(`removed user ${name}\n`);
      }),
    );
  user
    .command('passwd')
    .description("set a user's password (from --password-file or the first line of stdin)")
    .argument('<name>')
    .option('--password-file <file>', 'file whose first line is the password')
    .action((name: string, o: { passwordFile?: string }, command: Command) =>
      run(command, async (settings) => {
        const password = await readPassword(o.passwordFile);
        await withDatabase(settings, (h) => setUserPassword(h.db, name, password));
        process.stdout.write(`changed the password of ${name}\n`);
      }),
    );

  const project = program.commands.find((c) => c.name() === 'project') ?? program.command('project');
  const maintainer = project.command('maintainer').description("a project's maintainers: they (and admins) change its patches");
  maintainer
    .command('add')
    .argument('<project>', 'the link name')
    .argument('<user>', 'the user name')
    .action((projectName: string, userName: string, _o: unknown, command: Command) =>
      run(command, async (settings) => {
        await withDatabase(settings, (h) => addMaintainer(h.db, projectName, userName));
        process.stdout.write(`${userName} maintains ${projectName}\n`);
      }),
    );
  maintainer
    .command('remove')
    .argument('<project>', 'the link name')
    .argument('<user>', 'the user name')
    .action((projectName: string, userName: string, _o: unknown, command: Command) =>
      run(command, async (settings) => {
        const removed = await withDatabase(settings, (h) => removeMaintainer(h.db, projectName, userName));
        process.stdout.write(removed ? `${userName} no longer maintains ${projectName}\n` : `${userName} did not maintain ${projectName}\n`);
      }),
    );
  maintainer
    .command('list')
    .argument('<project>', 'the link name')
    .action((projectName: string, _o: unknown, command: Command) =>
      run(command, async (settings) => {
        const names = await withDatabase(settings, (h) => projectMaintainers(h.db, projectName));
        process.stdout.write(names.length ? `${names.join('\n')}\n` : `no maintainers of ${projectName}\n`);
      }),
    );
}
