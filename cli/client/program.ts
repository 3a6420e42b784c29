/**
 * patch-tracking-cli: the old client's commands and flags (add, query, delete), plus update, enable,
 * disable, scan, token, project and generate-password. `run(argv, io)` is the whole program; the bins only call it.
 * Exit codes: 0 ok, 1 the operation failed (server refusal, network), 2 usage (flags, YAML, validation).
 */
import { Command, CommanderError, Option } from 'commander';
import { SCOPES } from '../../src/auth/scopes.js';
import { VERSION } from '../../src/paths.js';
import { addAction } from './commands/add.js';
import { deleteAction } from './commands/delete.js';
import { generatePasswordAction } from './commands/generate-password.js';
import { exportAction } from './commands/export.js';
import { queryAction } from './commands/query.js';
import { scanAction } from './commands/scan.js';
import { showAction } from './commands/show.js';
import { upstreamedAction } from './commands/upstreamed.js';
import { PROJECT_FLAGS, projectAddAction, projectListAction, projectUpdateAction } from './commands/project.js';
import { tokenCreateAction, tokenListAction, tokenRevokeAction } from './commands/token.js';
import { enableAction, updateAction } from './commands/update.js';
import type { RunContext } from './context.js';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './errors.js';
import { ConnectionError } from './http.js';
import { processIo, type CliIo } from './io.js';
import { addConnectionOptions, addFieldOptions, parseBooleanFlag, TRACKING_FIELDS } from './options.js';

export async function run(argv: string[], io: CliIo = processIo()): Promise<number> {
  const context: RunContext = { io, exitCode: EXIT_OK, clients: [] };
  return execute(buildProgram(context), argv, context);
}

/** The `generate_password` bin: the old program's command of that name. */
export async function runGeneratePassword(argv: string[], io: CliIo = processIo()): Promise<number> {
  const context: RunContext = { io, exitCode: EXIT_OK, clients: [] };
  const program = baseCommand('generate_password', context)
    .description('print a bcrypt hash of PASSWORD for PASSWORD = "…" in settings.conf (asked twice on a terminal when omitted)')
    .argument('[password]', 'the password: 6 to 32 characters with upper and lower case letters, a digit and one of ~!@#%^*-_=+')
    .action((password: string | undefined) => generatePasswordAction(context, password));
  return execute(program, argv, context);
}

async function execute(program: Command, argv: string[], context: RunContext): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return context.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    const known = err instanceof CliError || err instanceof ConnectionError;
    const message = known ? err.message : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
    context.io.stderr.write(`${program.name()}: ${message}\n`);
    return known ? err.exitCode : EXIT_FAILED;
  } finally {
    for (const client of context.clients) client.close();
  }
}

function baseCommand(name: string, context: RunContext): Command {
  const { io } = context;
  return new Command(name)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError('(add --help for usage)');
}

export function buildProgram(context: RunContext): Command {
  const program = baseCommand('patch-tracking-cli', context)
    .description('client of the patch-tracking service: add, query, update and delete trackings')
    .version(VERSION);

  const add = program
    .command('add')
    .description('add trackings: one from the flags, or all of a YAML file (--file) or of a folder of YAML files (--dir); existing ones are updated')
    .option('--file <file>', 'YAML file of tracking definitions')
    .option('--dir <dir>', 'folder whose *.yaml/*.yml files are all imported (everything is validated first)');
  addFieldOptions(add, TRACKING_FIELDS);
  addConnectionOptions(add, 'write').action((options) => addAction(context, options));

  const query = program
    .command('query')
    .description('list trackings or the issues the service opened')
    .addOption(new Option('--table <table>', 'what to list').choices(['tracking', 'issue']).default('tracking'))
    .option('--repo <repo>', 'only this target repository')
    .option('--branch <branch>', 'only this target branch')
    .option('--enabled <bool>', 'only enabled (true) or disabled (false) trackings', parseBooleanFlag)
    .option('--json', 'print JSON instead of a table');
  addConnectionOptions(query, 'read').action((options) => queryAction(context, options));

  const show = program
    .command('show')
    .description('print one tracking in full: its status, last head, next attempt and the whole last error')
    .requiredOption('--repo <repo>', 'target repository')
    .requiredOption('--branch <branch>', 'target branch')
    .option('--json', 'print JSON');
  addConnectionOptions(show, 'read').action((options) => showAction(context, options));

  const del = program
    .command('delete')
    .description('delete the tracking of a repository branch, or of all its branches when --branch is omitted')
    .requiredOption('--repo <repo>', 'target repository')
    .option('--branch <branch>', 'target branch (default: every branch of --repo)');
  addConnectionOptions(del, 'write').action((options) => deleteAction(context, options));

  const exportCommand = program
    .command('export')
    .description('print every tracking (with its progress) as YAML for `add --file`: the way to move from the old server')
    .option('--repo <repo>', 'only this target repository')
    .option('--out <file>', 'write to a file instead of standard output');
  addConnectionOptions(exportCommand, 'read').action((options) => exportAction(context, options));

  const update = program.command('update').description('change fields of an existing tracking (named by --repo and --branch)');
  addFieldOptions(update, TRACKING_FIELDS, {
    repo: 'target repository of the tracking to change',
    branch: 'target branch of the tracking to change',
    scm_commit: 'upstream commit to continue after; "null" restarts from the current head',
  });
  update.option('--json', 'print the changed tracking as JSON');
  addConnectionOptions(update, 'write').action((options) => updateAction(context, options));

  for (const enabled of [true, false]) {
    const command = program
      .command(enabled ? 'enable' : 'disable')
      .description(enabled ? 'start tracking a repository branch' : 'stop tracking a repository branch (the definition is kept)')
      .requiredOption('--repo <repo>', 'target repository')
      .requiredOption('--branch <branch>', 'target branch');
    addConnectionOptions(command, 'write').action((options) => enableAction(context, options, enabled));
  }

  const scan = program
    .command('scan')
    .description('scan trackings now (all, those of --repo, or one with --repo and --branch) and report what happened')
    .option('--repo <repo>', 'target repository')
    .option('--branch <branch>', 'target branch (needs --repo)')
    .option('--dry-run', 'show what would be published (commits, patches, spec diff, issue and PR), change nothing')
    .option('--out <dir>', 'with --dry-run: write the patch files, the edited spec, the spec diff and the issue and PR texts into DIR (new or empty)')
    .option('--json', "print the server's answer as JSON (for scripts)");
  addConnectionOptions(scan, 'write').action((options) => scanAction(context, options));

  const upstreamed = program
    .command('upstreamed')
    .description("which of the spec's patches the upstream release already has (a report: nothing is changed)")
    .requiredOption('--repo <repo>', 'target repository')
    .requiredOption('--branch <branch>', 'target branch')
    .option('--json', "print the server's answer as JSON (for scripts)");
  addConnectionOptions(upstreamed, 'read').action((options) => upstreamedAction(context, options));

  const token = program.command('token').description('API tokens for scripts and CI (sent as Authorization: Bearer)');
  addConnectionOptions(
    token
      .command('create')
      .description('create a token; it is printed once, only its hash is stored')
      .argument('<name>', 'what the token is for')
      .requiredOption(
        '--scope <scope...>',
        `what the token may do (repeat or separate with commas): ${SCOPES.join(', ')}; admin implies all, any scope implies read`,
      )
      .option('--as <user>', "a user's name: the token acts as that user (patch-tracking user list)")
      .option('--json', 'print the token and its record as JSON'),
    'write',
  ).action((name: string, options) => tokenCreateAction(context, name, options));
  addConnectionOptions(token.command('list').description('list tokens and their scopes (never the tokens themselves)').option('--json', 'print JSON'), 'write').action(
    (options) => tokenListAction(context, options),
  );
  addConnectionOptions(token.command('revoke').description('revoke a token').argument('<id>', 'the token id (see token list)'), 'write').action(
    (id: string, options) => tokenRevokeAction(context, id, options),
  );

  const project = program.command('project').description('mailing-list projects (changes need an admin login or a token with the admin scope)');
  const projectFlags = (command: Command, listIdRequired: boolean) => {
    for (const [flag, , value, description] of PROJECT_FLAGS) {
      const option = `--${flag.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)} ${value}`;
      if (flag === 'listId' && listIdRequired) command.requiredOption(option, description);
      else command.option(option, description);
    }
    return command.option('--json', 'print the project as JSON');
  };
  addConnectionOptions(
    projectFlags(project.command('add').description('track a mailing list (or the part of it whose subjects match --subject-match)').argument('<link-name>', 'short name used in URLs and subject prefixes'), true).option(
      '--delegate <email>',
      'a person patches may be delegated to (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    ),
    'write',
  ).action((linkName: string, options) => projectAddAction(context, linkName, options));
  addConnectionOptions(project.command('list').description('list the projects').option('--json', 'print JSON'), 'read').action((options) => projectListAction(context, options));
  addConnectionOptions(
    projectFlags(project.command('update').description("change a project's fields").argument('<project>', 'its id or link name'), false).option('--link-name <name>', 'a new link name'),
    'write',
  ).action((ref: string, options) => projectUpdateAction(context, ref, options));

  program
    .command('generate-password')
    .description('print a bcrypt hash of PASSWORD for PASSWORD = "…" in settings.conf (asked twice on a terminal when omitted)')
    .argument('[password]', 'the password: 6 to 32 characters with upper and lower case letters, a digit and one of ~!@#%^*-_=+')
    .action((password: string | undefined) => generatePasswordAction(context, password));

  return program;
}
