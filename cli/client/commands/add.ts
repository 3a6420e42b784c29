/**
 * `add`: one tracking from the old flags, or every item of a YAML file (--file) or folder (--dir). All input
 * is validated before the first request (and before asking for a password); then the import reports what
 * it added, updated, left unchanged or failed.
 */
import { statSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { z } from '@hono/zod-openapi';
import { firstIssue, trackingInputSchema } from '../../../src/input.js';
import { connect, type RunContext } from '../context.js';
import { EXIT_FAILED, usageError } from '../errors.js';
import { formatSummary, importTrackings, type ImportSummary } from '../import.js';
import type { CliIo } from '../io.js';
import { readFields, TRACKING_FIELDS, type ConnectionFlags } from '../options.js';
import { listYamlFiles, loadTrackingFiles, normalizeItem, type TrackingItem } from '../tracking-files.js';

const MAX_PROBLEMS_SHOWN = 50;

function itemFromFlags(fields: Partial<Record<string, string | boolean>>): TrackingItem {
  const required = ['version_control', 'scm_repo', 'scm_branch', 'repo', 'branch', 'enabled'];
  const missing = required.filter((field) => fields[field] === undefined);
  if (missing.length > 0) throw usageError(`add: missing ${missing.map((field) => `--${field}`).join(', ')}`);
  const parsed = trackingInputSchema.safeParse(normalizeItem(fields));
  if (!parsed.success) throw usageError(parsed.error.issues.map(flagIssue).join('; '));
  return { input: parsed.data, location: 'command line', hasCommit: fields.scm_commit !== undefined };
}

/** A schema problem phrased with the flag's name (`--scm_repo: expected owner/name …`). */
export function flagIssue(issue: z.core.$ZodIssue): string {
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
    if (isDirectory(origin)) throw usageError(`--file: ${origin} is a folder (use --dir for a folder of YAML files)`);
    try {
      statSync(origin);
    } catch {
      throw usageError(`--file: no such file: ${origin}`);
    }
    files = [origin];
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

export async function addAction(context: RunContext, options: Record<string, unknown> & ConnectionFlags & { file?: string; dir?: string }) {
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
