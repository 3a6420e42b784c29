/**
 * Mail-ingest commands of `patch-tracking`: parsemail (one mail on stdin, for an MTA pipe), parsearchive
 * (mbox files and Maildir folders), mail parse (what the parser sees, storing nothing), mail compare, mail
 * match (patches that landed upstream, over history), project add|update|list (the mailing lists to track,
 * and the upstream their patches land in) and imap (the IMAP importer).
 */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { AppError } from '../src/errors.js';
import { createLogger } from '../src/log.js';
import { compareSeries } from '../src/mail/compare/compare.js';
import { assertGitUrl } from '../src/sources/git-url.js';
import { UpstreamPolicy } from '../src/sources/upstream-policy.js';
import { formatComparison, wantsColor } from '../src/mail/compare/format.js';
import { mailParseCommand } from '../src/mail/describe.js';
import { addArchive, ArchiveFollower, projectToFollowInto, type AcceptedRewrite, type ArchiveResult } from '../src/mail/follow/follow.js';
import { archiveBytes, importArchives } from '../src/mail/ingest/archive.js';
import { imapOptionsFrom, type ImapKey } from '../src/mail/ingest/imap-settings.js';
import { parseMailFromStream } from '../src/mail/ingest/stdin.js';
import { formatSummary, summaryJson } from '../src/mail/ingest/summary.js';
import { isDatabaseUnavailable, MailStore, shortErrorMessage } from '../src/mail/store/mail-store.js';
import { addDelegationRule, addProjectDelegate, createProject, listProjects, updateProjectByLinkName } from '../src/mail/store/projects.js';
import type { MailProjectRow } from '../src/db/schema/mail.js';
import { runLanded, type LandedProgress } from '../src/mail/landed/landed.js';
import { GitSource } from '../src/sources/git.js';
import { publicUrl } from '../src/sources/git-url.js';
import type { Settings } from '../src/settings.js';
import { withDatabase } from './database.js';

/**
 * sysexits EX_TEMPFAIL: MTAs keep the mail queued and retry instead of bouncing it. Only for an unreachable
 * database: any other failure would recur on every retry (a mail the database refuses is kept as dropped).
 */
const EX_TEMPFAIL = 75;

/** One short line on stderr (never a failed query with its parameters: they carry whole mails), then exit. */
function fail(err: unknown, exitCode = 1): never {
  const message = err instanceof AppError ? err.message : shortErrorMessage(err);
  process.stderr.write(`patch-tracking: ${message}\n`);
  process.exit(err instanceof AppError && err.code.startsWith('settings') ? 2 : exitCode);
}

/** Mail ingest failed: EX_TEMPFAIL when the database could not be reached, else 1. */
function failIngest(err: unknown): never {
  fail(err, isDatabaseUnavailable(err) ? EX_TEMPFAIL : 1);
}

function seriesIdArgument(value: string, field: string): number {
  if (!/^[1-9]\d{0,9}$/.test(value)) throw new AppError('invalid_request', `${field}: "${value}" is not a series id (a positive whole number)`, { field });
  return Number(value);
}

function describeUpstream(r: MailProjectRow): string {
  if (!r.scmUrl) return `project ${r.linkName}: no upstream repository (patches are not matched against upstream commits)`;
  const branches = r.scmBranches.length ? `branch${r.scmBranches.length > 1 ? 'es' : ''} ${r.scmBranches.join(', ')}` : 'the default branch';
  return `project ${r.linkName}: patches found in ${branches} of ${publicUrl(r.scmUrl)} become ${r.landedState}`;
}

/** --since: a date (or date and time) as JavaScript reads ISO 8601. */
function sinceArgument(value: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim()) ? new Date(value.trim()) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw new AppError('invalid_option', `--since: "${value}" is not a date (YYYY-MM-DD or an ISO 8601 date and time)`, { field: 'since' });
  return date;
}

function landedLine(e: LandedProgress): string | null {
  if (e.phase === 'project-failed') return `${e.project}: failed: ${e.error}`;
  if (e.phase !== 'project-done') return null;
  const lines = [
    `${e.project}: ${e.sync.commits} upstream commits read, ${e.sync.recorded} new; ${e.match.patchIdsComputed} patch-ids computed; ${e.match.landed.length} patches landed` +
      (e.match.seriesAccepted.length ? `, series ${e.match.seriesAccepted.join(', ')} complete` : ''),
  ];
  for (const l of e.match.landed) lines.push(`  patch ${l.patchId} -> ${l.sha.slice(0, 12)} (${l.method}): ${l.evidence}`);
  return lines.join('\n');
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function parseRule(spec: string): { path: string; email: string; priority: number } {
  const eq = spec.lastIndexOf('=');
  if (eq <= 0) throw new AppError('invalid_rule', `--autodelegate "${spec}": expected PATTERN=EMAIL[,PRIORITY]`, { field: 'autodelegate' });
  const [email, priority] = spec.slice(eq + 1).split(',');
  if (!email || !email.includes('@')) throw new AppError('invalid_rule', `--autodelegate "${spec}": "${email ?? ''}" is not an email address`, { field: 'autodelegate' });
  if (priority !== undefined && !/^-?\d+$/.test(priority)) throw new AppError('invalid_rule', `--autodelegate "${spec}": priority must be a whole number`, { field: 'autodelegate' });
  return { path: spec.slice(0, eq), email: email.trim(), priority: priority === undefined ? 0 : Number(priority) };
}

export function registerMailCommands(program: Command, settingsFrom: (command: Command) => Settings): void {
  const settingsOf = (command: Command): Settings => {
    try {
      return settingsFrom(command);
    } catch (err) {
      fail(err, 2);
    }
  };

  program
    .command('parsemail')
    .description('store one mail read from standard input (exit 0 also when it is a duplicate or dropped, so the MTA does not bounce it)')
    .option('--list-id <id>', 'mailing list id (default: from the List-Id header)')
    .action(async (options: { listId?: string }, command: Command) => {
      const settings = settingsOf(command);
      try {
        const outcome = await withDatabase(settings, (h) => parseMailFromStream(new MailStore(h.db), process.stdin, options.listId));
        process.stdout.write(JSON.stringify(outcome) + '\n');
        if (outcome.status === 'dropped') process.stderr.write(`patch-tracking: mail dropped: ${outcome.reason}\n`);
      } catch (err) {
        failIngest(err);
      }
    });

  program
    .command('parsearchive')
    .description('import mbox files and Maildir folders')
    .argument('<paths...>', 'mbox files or Maildir folders')
    .option('--list-id <id>', 'mailing list id (default: from the List-Id headers)')
    .option('--batch-size <n>', 'mails per transaction', '500')
    .option('--json', 'print the summary as JSON')
    .action(async (paths: string[], options: { listId?: string; batchSize: string; json?: boolean }, command: Command) => {
      const settings = settingsOf(command);
      const batchSize = Number(options.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000) fail(new AppError('invalid_option', '--batch-size must be a whole number from 1 to 5000'), 2);
      try {
        const summary = await withDatabase(settings, async (h) => {
          let bar: SingleBar | null = null;
          if (process.stderr.isTTY) {
            bar = new SingleBar({ stream: process.stderr, format: ' {bar} {percentage}% | {messages} messages | ETA {eta_formatted}', hideCursor: true });
            bar.start(Math.max(1, await archiveBytes(paths)), 0, { messages: 0 });
          }
          try {
            return await importArchives(new MailStore(h.db), paths, {
              listId: options.listId ?? null,
              batchSize,
              onProgress: ({ bytes, messages }) => bar?.update(bytes, { messages }),
            });
          } finally {
            bar?.stop();
          }
        });
        process.stdout.write(options.json ? JSON.stringify(summaryJson(summary)) + '\n' : formatSummary(summary));
      } catch (err) {
        failIngest(err);
      }
    });

  const mail = program.command('mail').description('mail parser tools');
  mail
    .command('parse')
    .description('print what the parser makes of each message of an mbox, Maildir or single mail (- for stdin); stores nothing')
    .argument('<file>', 'mbox file, Maildir folder, RFC 822 file, or - for standard input')
    .option('--json', 'one JSON object per message (the default form; kept for scripts that pass it)')
    .option('--linkname <name>', 'project link name to strip from subject prefixes')
    .option('--list-email <address>', "the list's posting address (to undo DMARC From rewriting)")
    .action(async (file: string, options: { json?: boolean; linkname?: string; listEmail?: string }) => {
      try {
        await mailParseCommand(file, process.stdout, {
          ...(options.linkname ? { linkname: options.linkname } : {}),
          ...(options.listEmail ? { listEmail: options.listEmail } : {}),
        });
      } catch (err) {
        fail(err);
      }
    });

  mail
    .command('compare')
    .description('what changed between two versions of a series: its patches paired, added, dropped and moved, with interdiffs (a range-diff)')
    .argument('<series>', 'series id')
    .argument('[other]', 'series id to compare with (default: the version SERIES revises)')
    .option('--json', 'the comparison as JSON (as GET /api/v1/series/ID/compare answers)')
    .action(async (series: string, other: string | undefined, options: { json?: boolean }, command: Command) => {
      const settings = settingsOf(command);
      try {
        const ids = { series: seriesIdArgument(series, 'series'), other: other === undefined ? undefined : seriesIdArgument(other, 'other') };
        const compare = { dataDir: settings.dataDir, upstreamPolicy: UpstreamPolicy.fromSettings(settings) };
        const result = await withDatabase(settings, (h) => compareSeries(h.db, ids.series, ids.other, compare));
        const color = wantsColor(process.stdout.isTTY, process.env);
        process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatComparison(result, { color }));
      } catch (err) {
        fail(err);
      }
    });

  mail
    .command('match')
    .description("mark stored patches found in their project's upstream (scm_url) as landed: records the upstream commits since DATE, then matches")
    .requiredOption('--since <date>', 'upstream commits committed since this date (YYYY-MM-DD)')
    .option('--project <link-name>', 'only this project (default: every project naming an upstream)')
    .option('--json', 'print the results as JSON')
    .action(async (o: { since: string; project?: string; json?: boolean }, command: Command) => {
      const settings = settingsOf(command);
      try {
        const since = sinceArgument(o.since);
        const results = await withDatabase(settings, async (h) => {
          let bar: SingleBar | null = null;
          try {
            return await runLanded(h.db, new GitSource({ dataDir: settings.dataDir, upstreamPolicy: UpstreamPolicy.fromSettings(settings) }), {
              since,
              ...(o.project ? { project: o.project } : {}),
              onProgress: (e) => {
                if (e.phase === 'commits' && process.stderr.isTTY) {
                  if (!bar) {
                    bar = new SingleBar({ stream: process.stderr, format: ` ${e.project} {bar} {value}/{total} upstream commits`, hideCursor: true });
                    bar.start(e.total, 0);
                  }
                  bar.update(e.done);
                  return;
                }
                bar?.stop();
                bar = null;
                const line = o.json ? null : landedLine(e);
                if (line) process.stdout.write(`${line}\n`);
              },
            });
          } finally {
            (bar as SingleBar | null)?.stop();
          }
        });
        if (o.json) process.stdout.write(`${JSON.stringify(results)}\n`);
        else if (!results.length) process.stdout.write('no project names an upstream repository: set one with `patch-tracking project update NAME --scm-url URL`\n');
        if (results.some((r) => r.error)) process.exit(1);
      } catch (err) {
        fail(err);
      }
    });

  mail
    .command('follow')
    .description(
      'follow a public-inbox archive, v2 or v1 (e.g. https://lore.kernel.org/LIST): add it to the project, then store every mail not stored yet; the scheduler keeps following it',
    )
    .argument('<list-url>', 'the inbox URL (v2: its epochs are <list-url>/git/0.git, 1.git, …; v1: the URL is the repository)')
    .option('--project <name>', 'link name or id of the project (default: the only project)')
    .option('--since <date>', 'skip messages whose Date is older (e.g. 2026-01-01)')
    .option('--batch-size <n>', 'mails per transaction', '500')
    .option('--accept-rewrite <epoch>', 'resume an epoch reported as rewritten: its cursor moves to the new head (v1: epoch 0)')
    .option('--reingest', 'with --accept-rewrite: read the rewritten part again (the store keeps one copy of each Message-ID)')
    .option('--json', 'print the result as JSON')
    .action(async (url: string, options: { project?: string; since?: string; batchSize: string; acceptRewrite?: string; reingest?: boolean; json?: boolean }, command: Command) => {
      const settings = settingsOf(command);
      const batchSize = Number(options.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000) fail(new AppError('invalid_option', '--batch-size must be a whole number from 1 to 5000'), 2);
      const since = options.since === undefined ? undefined : new Date(options.since);
      if (since && Number.isNaN(since.getTime())) fail(new AppError('invalid_option', `--since ${JSON.stringify(options.since)} is not a date (e.g. 2026-01-01)`), 2);
      const acceptEpoch = options.acceptRewrite === undefined ? undefined : /^\d{1,6}$/.test(options.acceptRewrite) ? Number(options.acceptRewrite) : NaN;
      if (Number.isNaN(acceptEpoch)) fail(new AppError('invalid_option', `--accept-rewrite ${JSON.stringify(options.acceptRewrite)} is not an epoch number (0, 1, …)`), 2);
      if (options.reingest && acceptEpoch === undefined) fail(new AppError('invalid_option', '--reingest goes with --accept-rewrite EPOCH'), 2);
      try {
        const { result, accepted } = await withDatabase(settings, async (h) => {
          const project = await projectToFollowInto(h.db, options.project);
          const archive = await addArchive(h.db, project.id, url);
          const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
          const follower = new ArchiveFollower({ db: h.db, git: new GitSource({ dataDir: settings.dataDir, upstreamPolicy: UpstreamPolicy.fromSettings(settings), logger }), store: new MailStore(h.db), logger });
          const accepted = acceptEpoch === undefined ? undefined : await follower.acceptRewrite(archive, acceptEpoch, { reingest: options.reingest === true });
          let bar: SingleBar | null = null;
          let epochShown = -1;
          const started = Date.now();
          let before = 0;
          try {
            const result = await follower.follow(archive, {
              batchSize,
              ...(since ? { since } : {}),
              onProgress: (p) => {
                if (!process.stderr.isTTY) return;
                if (p.epoch !== epochShown) {
                  bar?.stop();
                  epochShown = p.epoch;
                  before = p.done;
                  bar = new SingleBar({ stream: process.stderr, format: ' epoch {epoch} {bar} {value}/{total} messages | {rate} msg/s | stored {stored}', hideCursor: true });
                  bar.start(p.total, 0, { epoch: p.epoch, rate: 0, stored: 0 });
                }
                const seconds = (Date.now() - started) / 1000;
                bar?.update(p.done, { epoch: p.epoch, stored: p.stored, rate: seconds > 0 ? Math.round((p.done - before) / seconds) : 0 });
              },
            });
            return { result, accepted };
          } finally {
            (bar as SingleBar | null)?.stop();
          }
        });
        if (options.json) process.stdout.write(JSON.stringify(accepted ? { ...result, accepted } : result) + '\n');
        else process.stdout.write((accepted ? formatAccepted(accepted) : '') + formatFollow(result));
        if (result.error || result.epochs.some((e) => e.error)) process.exit(1);
      } catch (err) {
        failIngest(err);
      }
    });

  const project = program.command('project').description('mailing-list projects');
  project
    .command('add')
    .description('track a mailing list (or the part of it whose subjects match --subject-match)')
    .argument('<link-name>', 'short name used in URLs and subject prefixes')
    .requiredOption('--list-id <id>', 'the List-Id of the list, e.g. dev.lists.example.org')
    .option('--name <name>', 'display name (default: the link name)')
    .option('--list-email <address>', "the list's posting address")
    .option('--subject-match <regex>', 'only mails whose subject matches (for several projects on one list)')
    .option('--web-url <url>')
    .option('--scm-url <url>', 'the upstream git repository: patches found in its commits are marked as landed')
    .option('--scm-branch <branch>', 'an upstream branch to watch (repeatable; default: the default branch)', collect, [])
    .option('--landed-state <state>', 'the state a patch found upstream moves to (default: accepted)')
    .option('--webscm-url <url>')
    .option('--list-archive-url <url>')
    .option('--delegate <email>', 'a person patches may be delegated to (repeatable)', collect, [])
    .option('--autodelegate <rule>', 'PATTERN=EMAIL[,PRIORITY]: delegate patches touching only matching files (repeatable)', collect, [])
    .action(async (linkName: string, o: Record<string, string | string[] | undefined>, command: Command) => {
      const settings = settingsOf(command);
      try {
        const rules = (o.autodelegate as string[]).map(parseRule);
        if (o.scmUrl) {
          // the service fetches it for series comparisons: the same rule as a tracking's upstream
          assertGitUrl(o.scmUrl as string, 'scm_url');
          await UpstreamPolicy.fromSettings(settings).check(o.scmUrl as string, 'scm_url');
        }
        const row = await withDatabase(settings, async (h) => {
          const created = await createProject(h.db, {
            linkName,
            listId: o.listId as string,
            ...(o.name ? { name: o.name as string } : {}),
            ...(o.listEmail ? { listEmail: o.listEmail as string } : {}),
            ...(o.subjectMatch ? { subjectMatch: o.subjectMatch as string } : {}),
            ...(o.webUrl ? { webUrl: o.webUrl as string } : {}),
            ...(o.scmUrl ? { scmUrl: o.scmUrl as string } : {}),
            ...(o.webscmUrl ? { webscmUrl: o.webscmUrl as string } : {}),
            ...(o.listArchiveUrl ? { listArchiveUrl: o.listArchiveUrl as string } : {}),
            scmBranches: o.scmBranch as string[],
            ...(o.landedState ? { landedState: o.landedState as string } : {}),
          });
          for (const email of o.delegate as string[]) await addProjectDelegate(h.db, created.id, email);
          for (const rule of rules) await addDelegationRule(h.db, created.id, rule);
          return created;
        });
        process.stdout.write(`project ${row.linkName} (id ${row.id}) tracks ${row.listId}${row.subjectMatch ? ` where the subject matches /${row.subjectMatch}/` : ''}\n`);
      } catch (err) {
        fail(err);
      }
    });
  project
    .command('update')
    .description("change a project's upstream: the repository and branches its patches land in, and the state they then get")
    .argument('<link-name>', 'the project')
    .option('--scm-url <url>', "the upstream git repository ('' for none)")
    .option('--scm-branch <branch>', 'an upstream branch to watch (repeatable; replaces the list)', collect, [])
    .option('--default-branch', "watch the upstream's default branch only (clears --scm-branch)")
    .option('--landed-state <state>', 'the state a patch found upstream moves to')
    .action(async (linkName: string, o: { scmUrl?: string; scmBranch: string[]; defaultBranch?: boolean; landedState?: string }, command: Command) => {
      const settings = settingsOf(command);
      try {
        const row = await withDatabase(settings, (h) =>
          updateProjectByLinkName(h.db, linkName, {
            ...(o.scmUrl !== undefined ? { scmUrl: o.scmUrl } : {}),
            ...(o.scmBranch.length || o.defaultBranch ? { scmBranches: o.defaultBranch ? [] : o.scmBranch } : {}),
            ...(o.landedState !== undefined ? { landedState: o.landedState } : {}),
          }),
        );
        process.stdout.write(`${describeUpstream(row)}\n`);
      } catch (err) {
        fail(err);
      }
    });
  project
    .command('list')
    .description('list the projects')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, command: Command) => {
      const settings = settingsOf(command);
      try {
        const rows = await withDatabase(settings, (h) => listProjects(h.db));
        if (o.json) {
          process.stdout.write(
            JSON.stringify(
              rows.map((r) => ({ id: r.id, link_name: r.linkName, name: r.name, list_id: r.listId, list_email: r.listEmail, subject_match: r.subjectMatch, scm_url: publicUrl(r.scmUrl), scm_branches: r.scmBranches, landed_state: r.landedState })),
            ) + '\n',
          );
          return;
        }
        if (!rows.length) process.stdout.write('no projects yet: add one with `patch-tracking project add NAME --list-id LIST-ID`\n');
        for (const r of rows) process.stdout.write(`${r.id}\t${r.linkName}\t${r.listId}${r.subjectMatch ? `\t/${r.subjectMatch}/` : ''}\n`);
      } catch (err) {
        fail(err);
      }
    });

  program
    .command('imap')
    .description('import mail from an IMAP server, then keep watching (IDLE) unless --once; settings IMAP_* or flags')
    .option('--host <host>')
    .option('--port <port>')
    .option('--security <mode>', 'tls | starttls | none')
    .option('--user <user>')
    .option('--password-file <file>', 'file holding the password (or IMAP_PASSWORD in the environment)')
    .option('--folder <name>', 'folder to import (repeatable; default INBOX)', collect, [])
    .option('--after <action>', 'seen | delete | keyword:NAME')
    .option('--fingerprint <sha256>', "pin the server certificate's SHA-256 fingerprint")
    .option('--ca <file>', 'extra CA certificate (PEM)')
    .option('--list-id <id>', 'mailing list id for every imported mail')
    .option('--once', 'import what is there and exit')
    .action(async (o: Record<string, string | string[] | boolean | undefined>, command: Command) => {
      const settings = settingsOf(command);
      const flags: Partial<Record<ImapKey, string>> = {};
      const set = (key: ImapKey, v: unknown): void => {
        if (typeof v === 'string') flags[key] = v;
      };
      set('IMAP_HOST', o.host);
      set('IMAP_PORT', o.port);
      set('IMAP_SECURITY', o.security);
      set('IMAP_USER', o.user);
      set('IMAP_PASSWORD_FILE', o.passwordFile);
      if ((o.folder as string[]).length) flags.IMAP_FOLDERS = (o.folder as string[]).join(',');
      set('IMAP_AFTER', o.after);
      set('IMAP_FINGERPRINT', o.fingerprint);
      set('IMAP_CA', o.ca);
      set('IMAP_LIST_ID', o.listId);
      let imapOptions;
      try {
        imapOptions = imapOptionsFrom(flags, process.env, settings.configFile);
      } catch (err) {
        fail(err, 2);
      }
      const logger = createLogger(settings.logLevel);
      try {
        await withDatabase(settings, async (h) => {
          // loaded here: the IMAP client library is the largest import, and only this command needs it
          const { ImapImporter } = await import('../src/mail/ingest/imap.js');
          const importer = new ImapImporter(new MailStore(h.db), { ...imapOptions, logger });
          if (o.once) {
            process.stdout.write(formatSummary(await importer.importOnce()));
            return;
          }
          const abort = new AbortController();
          process.once('SIGTERM', () => abort.abort());
          process.once('SIGINT', () => abort.abort());
          importer.on('imported', ({ folder, outcomes }) => logger.info({ folder, messages: outcomes.length }, 'imported mail'));
          importer.on('disconnected', ({ error }) => error && logger.warn({ err: error.message }, 'imap disconnected; reconnecting'));
          await importer.run(abort.signal);
          process.stdout.write(formatSummary(importer.summary));
        });
      } catch (err) {
        fail(err);
      }
    });
}

function formatFollow(r: ArchiveResult): string {
  const lines = r.epochs.map(
    (e) =>
      `epoch ${e.epoch}: ${e.unchanged ? 'unchanged since the last follow (manifest)' : `${e.read} messages read, ${e.stored} stored`}${e.skipped ? `, ${e.skipped} older than --since` : ''}${e.error ? `\n  error: ${e.error}` : ''}`,
  );
  if (r.error) lines.push(`error: ${r.error}`);
  return `${r.url} (${r.format ? `public-inbox ${r.format}, ` : ''}project id ${r.projectId})\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

function formatAccepted(a: AcceptedRewrite): string {
  const part = `${a.rewritten} message${a.rewritten === 1 ? '' : 's'} in the rewritten part`;
  return a.reingest
    ? `epoch ${a.epoch}: rewrite accepted; reading the ${part} again (one copy of each Message-ID is kept)\n`
    : `epoch ${a.epoch}: rewrite accepted; the cursor is now the new head ${a.head.slice(0, 12)} (${part} not read: --reingest reads them)\n`;
}
