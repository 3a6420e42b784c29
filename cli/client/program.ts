/**
 * patch-tracking-cli: the old client's commands and flags (add, query, delete), plus update, enable,
 * disable, scan, token and generate-password. `run(argv, io)` is the whole program; the bins only call it.
 * Exit codes: 0 ok, 1 the operation failed (server refusal, network), 2 usage (flags, YAML, validation).
 */
import { statSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { Command, CommanderError, Option } from 'commander';
import { z } from '@hono/zod-openapi';
import { commitSha, firstIssue, trackingInputSchema, trackingPatchSchema } from '../../src/api/schemas.js';
import { VERSION } from '../../src/paths.js';
import { PatchTrackingApi, ServerError, type V1Tracking } from './api.js';
import { resolveCredentials } from './credentials.js';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, operationError, usageError } from './errors.js';
import { ConnectionError, HttpClient } from './http.js';
import { formatSummary, importTrackings, type ImportSummary } from './import.js';
import { processIo, type CliIo } from './io.js';
import { addConnectionOptions, addFieldOptions, parseBooleanFlag, readFields, TRACKING_FIELDS, type ConnectionFlags } from './options.js';
import { generatePasswordHash } from './password-hash.js';
import { parseServerAddress } from './server-address.js';
import { formatTable, issueColumns, tokenColumns, trackingColumns } from './table.js';
import { resolveTlsTrust } from './tls-trust.js';
import { listYamlFiles, loadTrackingFiles, normalizeItem, type TrackingItem } from './tracking-files.js';

interface RunContext {
  io: CliIo;
  exitCode: number;
  clients: HttpClient[];
}

const MAX_PROBLEMS_SHOWN = 50;

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

  const del = program
    .command('delete')
    .description('delete the tracking of a repository branch, or of all its branches when --branch is omitted')
    .requiredOption('--repo <repo>', 'target repository')
    .option('--branch <branch>', 'target branch (default: every branch of --repo)');
  addConnectionOptions(del, 'write').action((options) => deleteAction(context, options));

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
    .description('scan trackings now (all, those of --repo, or one with --repo and --branch) and print the result as JSON')
    .option('--repo <repo>', 'target repository')
    .option('--branch <branch>', 'target branch (needs --repo)')
    .option('--dry-run', 'show what would be published, change nothing');
  addConnectionOptions(scan, 'write').action((options) => scanAction(context, options));

  const token = program.command('token').description('API tokens for scripts and CI (sent as Authorization: Bearer)');
  addConnectionOptions(
    token
      .command('create')
      .description('create a token; it is printed once, only its hash is stored')
      .argument('<name>', 'what the token is for')
      .option('--json', 'print the token and its record as JSON'),
    'write',
  ).action((name: string, options) => tokenCreateAction(context, name, options));
  addConnectionOptions(token.command('list').description('list tokens (never the tokens themselves)').option('--json', 'print JSON'), 'write').action(
    (options) => tokenListAction(context, options),
  );
  addConnectionOptions(token.command('revoke').description('revoke a token').argument('<id>', 'the token id (see token list)'), 'write').action(
    (id: string, options) => tokenRevokeAction(context, id, options),
  );

  program
    .command('generate-password')
    .description('print a bcrypt hash of PASSWORD for PASSWORD = "…" in settings.conf (asked twice on a terminal when omitted)')
    .argument('[password]', 'the password: 6 to 32 characters with upper and lower case letters, a digit and one of ~!@#%^*-_=+')
    .action((password: string | undefined) => generatePasswordAction(context, password));

  return program;
}

// ---- connection

async function connect(context: RunContext, flags: ConnectionFlags, auth: 'required' | 'optional'): Promise<PatchTrackingApi> {
  const { io } = context;
  const server = flags.server ?? io.env.PATCH_TRACKING_SERVER;
  if (!server) throw usageError('--server is required (host:port or an http(s):// URL, or set PATCH_TRACKING_SERVER)');
  const address = parseServerAddress(server);
  const trust = resolveTlsTrust({ caFile: flags.ca, insecure: flags.insecure, env: io.env, cwd: io.cwd });
  const credentials = await resolveCredentials(flags, io, auth === 'required');
  const http = new HttpClient(address, trust, credentials, (message) => io.stderr.write(`warning: ${message}\n`));
  context.clients.push(http);
  return new PatchTrackingApi(http);
}

// ---- add

function itemFromFlags(fields: Partial<Record<string, string | boolean>>): TrackingItem {
  const required = ['version_control', 'scm_repo', 'scm_branch', 'repo', 'branch', 'enabled'];
  const missing = required.filter((field) => fields[field] === undefined);
  if (missing.length > 0) throw usageError(`add: missing ${missing.map((field) => `--${field}`).join(', ')}`);
  const parsed = trackingInputSchema.safeParse(normalizeItem(fields));
  if (!parsed.success) throw usageError(parsed.error.issues.map(flagIssue).join('; '));
  return { input: parsed.data, location: 'command line', hasCommit: fields.scm_commit !== undefined };
}

/** A schema problem phrased with the flag's name (`--scm_repo: expected owner/name …`). */
function flagIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field ${issue.keys.join(', ')}`;
  const { field, message } = firstIssue(new z.ZodError([issue]));
  return field ? `--${field}${message.slice(field.length)}` : message;
}

function itemsFromFiles(options: { file?: string; dir?: string }): TrackingItem[] {
  let files: string[];
  let origin: string;
  if (options.dir) {
    origin = options.dir;
    if (!isDirectory(options.dir)) throw usageError(`--dir: not a folder: ${options.dir}`);
    files = listYamlFiles(options.dir);
    if (files.length === 0) throw usageError(`--dir: no *.yaml or *.yml files in ${options.dir}`);
  } else {
    origin = options.file!;
    try {
      if (!statSync(options.file!).isFile()) throw new Error();
    } catch {
      throw usageError(`--file: no such file: ${options.file}`);
    }
    files = [options.file!];
  }
  const { items, problems } = loadTrackingFiles(files);
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN);
    const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : '';
    throw usageError(`nothing was sent: ${problems.length} problem${problems.length > 1 ? 's' : ''} in ${origin}:\n  ${shown.join('\n  ')}${more}`);
  }
  if (items.length === 0) throw usageError(`no tracking definitions in ${origin}`);
  return items;
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

async function addAction(context: RunContext, options: Record<string, unknown> & ConnectionFlags & { file?: string; dir?: string }) {
  const { io } = context;
  const fields = readFields(options, TRACKING_FIELDS);
  const modes = [Object.keys(fields).length > 0 ? 'the tracking flags' : '', options.file ? '--file' : '', options.dir ? '--dir' : ''].filter(Boolean);
  if (modes.length === 0) throw usageError('add: give the tracking flags (--version_control, --scm_repo, --scm_branch, --repo, --branch, --enabled), --file FILE or --dir DIR');
  if (modes.length > 1) throw usageError(`add: give only one of ${modes.join(', ')}`);

  const fromFlags = Object.keys(fields).length > 0;
  // everything is validated before the first request (and before asking for a password)
  const items = fromFlags ? [itemFromFlags(fields)] : itemsFromFiles(options);
  const api = await connect(context, options, 'required');

  const bar = options.dir && io.stderr.isTTY && items.length > 1 ? newProgressBar(io, items.length) : undefined;
  let summary: ImportSummary;
  try {
    summary = await importTrackings(api, items, {
      commitPolicy: fromFlags ? 'always' : 'on-create',
      onProgress: bar ? (done) => bar.update(done) : undefined,
    });
  } finally {
    bar?.stop();
  }

  for (const { outcome, repo, branch, location } of summary.outcomes) {
    if (outcome === 'added' || outcome === 'updated' || (fromFlags && outcome === 'unchanged')) {
      io.stdout.write(`${outcome}: ${repo} ${branch}${fromFlags ? '' : ` (${location})`}\n`);
    }
  }
  for (const notice of summary.notices) io.stderr.write(`note: ${notice}\n`);
  for (const failure of summary.failures) io.stderr.write(`failed: ${failure.location}: ${failure.message}\n`);
  if (summary.stoppedBy) io.stderr.write(`patch-tracking-cli: ${fromFlags ? '' : 'import stopped: '}${summary.stoppedBy.message}\n`);
  if (!fromFlags) io.stdout.write(`${formatSummary(summary)}\n`);
  if (summary.failed > 0 || summary.skipped > 0 || summary.stoppedBy) context.exitCode = EXIT_FAILED;
}

function newProgressBar(io: CliIo, total: number) {
  const bar = new cliProgress.SingleBar(
    { stream: io.stderr as NodeJS.WritableStream, format: 'importing [{bar}] {value}/{total}', hideCursor: true, clearOnComplete: true, fps: 10 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return bar;
}

// ---- query

async function queryAction(context: RunContext, options: ConnectionFlags & { table: 'tracking' | 'issue'; repo?: string; branch?: string; enabled?: boolean; json?: boolean }) {
  const { io } = context;
  if (options.table === 'issue' && options.enabled !== undefined) throw usageError('--enabled only applies to --table tracking');
  const api = await connect(context, options, 'optional');
  const rows =
    options.table === 'tracking'
      ? await api.listTrackings({ repo: options.repo, branch: options.branch, enabled: options.enabled })
      : await api.listIssues({ repo: options.repo, branch: options.branch });
  if (options.json) {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    io.stderr.write(`no ${options.table === 'tracking' ? 'trackings' : 'issues'} found\n`);
    return;
  }
  io.stdout.write(formatTable(rows, options.table === 'tracking' ? trackingColumns(rows) : issueColumns(rows)));
}

// ---- delete

async function deleteAction(context: RunContext, options: ConnectionFlags & { repo: string; branch?: string }) {
  const api = await connect(context, options, 'required');
  // listed first only to say what goes; the server decides what it deletes
  const doomed = await api.listTrackings({ repo: options.repo, branch: options.branch }).catch(() => []);
  const what = `repo ${options.repo}${options.branch ? ` branch ${options.branch}` : ''}`;
  if (!(await api.deleteTrackings(options.repo, options.branch))) throw operationError(`nothing to delete: no tracking for ${what}`);
  if (doomed.length === 0) context.io.stdout.write(`deleted: trackings of ${what}\n`);
  for (const row of doomed) context.io.stdout.write(`deleted: ${row.repo} ${row.branch}\n`);
}

// ---- update, enable, disable (/api/v1)

async function updateAction(context: RunContext, options: Record<string, unknown> & ConnectionFlags & { json?: boolean }) {
  const fields = readFields(options, TRACKING_FIELDS);
  const { repo, branch, ...changes } = fields;
  if (typeof repo !== 'string' || typeof branch !== 'string') throw usageError('update: --repo and --branch name the tracking to change');
  if (Object.keys(changes).length === 0) throw usageError('update: nothing to change (give --version_control, --scm_repo, --scm_branch, --scm_commit or --enabled)');
  const parsed = trackingPatchSchema.safeParse(normalizeItem(changes));
  if (!parsed.success) throw usageError(parsed.error.issues.map(flagIssue).join('; '));
  const patch = parsed.data;

  const api = await connect(context, options, 'required');
  const current = await api.findTracking(repo, branch);
  const kind = patch.version_control ?? current.version_control;
  if (kind !== 'mail' && typeof patch.scm_commit === 'string' && !commitSha.safeParse(patch.scm_commit).success) {
    throw usageError('--scm_commit: expected a hexadecimal commit id (7 to 64 characters), or null');
  }
  const changed = await api.patchTracking(current.id, patch);
  if (options.json) {
    context.io.stdout.write(`${JSON.stringify(changed, null, 2)}\n`);
    return;
  }
  const diffs = Object.keys(patch)
    .map((key) => [key, current[key], changed[key]] as const)
    .filter(([, before, after]) => before !== after)
    .map(([key, before, after]) => `${key}: ${String(before)} → ${String(after)}`);
  context.io.stdout.write(`${diffs.length ? 'updated' : 'unchanged'}: ${repo} ${branch}${diffs.length ? ` (${diffs.join(', ')})` : ''}\n`);
}

async function enableAction(context: RunContext, options: ConnectionFlags & { repo: string; branch: string }, enabled: boolean) {
  const api = await connect(context, options, 'required');
  const current = await api.findTracking(options.repo, options.branch);
  const word = enabled ? 'enabled' : 'disabled';
  if (current.enabled === enabled) {
    context.io.stdout.write(`already ${word}: ${current.repo} ${current.branch}\n`);
    return;
  }
  await api.patchTracking(current.id, { enabled });
  context.io.stdout.write(`${word}: ${current.repo} ${current.branch}\n`);
}

// ---- scan

async function scanAction(context: RunContext, options: ConnectionFlags & { repo?: string; branch?: string; dryRun?: boolean }) {
  if (options.branch && !options.repo) throw usageError('scan: --branch needs --repo');
  const api = await connect(context, options, 'required');
  const targets: V1Tracking[] = await api.listV1Trackings({ repo: options.repo, branch: options.branch });
  if (targets.length === 0) {
    throw operationError(options.repo ? `no tracking for repo ${options.repo}${options.branch ? ` branch ${options.branch}` : ''}` : 'there are no trackings');
  }
  // one named tracking: its result as is; several: a list saying which result (or error) is whose
  const single = targets.length === 1 && options.repo !== undefined && options.branch !== undefined;
  const results: Record<string, unknown>[] = [];
  for (const tracking of targets) {
    try {
      const result = await api.scan(tracking.id, Boolean(options.dryRun));
      results.push({ id: tracking.id, repo: tracking.repo, branch: tracking.branch, result });
    } catch (err) {
      if (err instanceof ServerError && err.code === 'engine_unavailable') {
        throw operationError(`cannot scan: the server's tracking engine is not running (engine_unavailable); the server said: ${err.message}`);
      }
      if (!(err instanceof ServerError) || err.fatal) throw err;
      if (single) throw operationError(`scan of ${tracking.repo} ${tracking.branch} failed: ${err.message}`);
      results.push({ id: tracking.id, repo: tracking.repo, branch: tracking.branch, error: err.message });
      context.exitCode = EXIT_FAILED;
    }
  }
  context.io.stdout.write(`${JSON.stringify(single ? results[0]!.result : results, null, 2)}\n`);
}

// ---- tokens

async function tokenCreateAction(context: RunContext, name: string, options: ConnectionFlags & { json?: boolean }) {
  const api = await connect(context, options, 'required');
  const token = await api.createToken(name);
  if (options.json) {
    context.io.stdout.write(`${JSON.stringify(token, null, 2)}\n`);
    return;
  }
  context.io.stderr.write(`created token ${token.id} "${token.name}"; it is shown only now, store it safely:\n`);
  context.io.stdout.write(`${token.token}\n`);
}

async function tokenListAction(context: RunContext, options: ConnectionFlags & { json?: boolean }) {
  const api = await connect(context, options, 'required');
  const tokens = await api.listTokens();
  if (options.json) context.io.stdout.write(`${JSON.stringify(tokens, null, 2)}\n`);
  else if (tokens.length === 0) context.io.stderr.write('no tokens\n');
  else context.io.stdout.write(formatTable(tokens as unknown as Record<string, unknown>[], tokenColumns));
}

async function tokenRevokeAction(context: RunContext, id: string, options: ConnectionFlags) {
  if (!/^[1-9][0-9]{0,15}$/.test(id)) throw usageError(`token revoke: expected a token id (a number, see token list), got ${JSON.stringify(id.slice(0, 20))}`);
  const api = await connect(context, options, 'required');
  await api.revokeToken(Number(id));
  context.io.stdout.write(`revoked token ${id}\n`);
}

// ---- generate-password

async function generatePasswordAction(context: RunContext, given: string | undefined) {
  const { io } = context;
  let password = given;
  if (password === undefined) {
    if (!io.stdinIsTTY) throw usageError('give the password as an argument (or run on a terminal to be asked for it)');
    password = await io.promptPassword('Password: ');
    if ((await io.promptPassword('Again: ')) !== password) throw usageError('the two passwords differ');
  }
  io.stdout.write(`${await generatePasswordHash(password)}\n`);
}
