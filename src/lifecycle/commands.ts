/**
 * Comment commands on the bot's PRs and issues: `/patch-tracking retry|recreate|pause|resume|status`.
 * Honoured only from users with write access to the target repository; every command gets a reply.
 */
import { and, eq, sql } from 'drizzle-orm';
import { issue, tracking, type IssueRow, type TrackingRow } from '../db/schema/index.js';
import { AppError, errorMessage } from '../errors.js';
import { redactSecrets } from '../log.js';
import type { LifecycleDeps } from './deps.js';
import type { CommentEvent } from './events.js';
import { WRITE_PERMISSIONS } from './extras.js';
import { recreateAndCheck, type RecreateDeps } from './recreate.js';
import { retryTracking, type RetryResult } from './retry.js';
import { findIssueRow } from './rows.js';

export const COMMANDS = ['retry', 'recreate', 'pause', 'resume', 'status'] as const;
export type Command = (typeof COMMANDS)[number];

const PREFIX = '/patch-tracking';

/** The first line that starts with `/patch-tracking`: its word, '' when none was given; null when there is no such line. */
export function parseCommand(body: string): string | null {
  for (const line of body.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === PREFIX || trimmed.startsWith(`${PREFIX} `) || trimmed.startsWith(`${PREFIX}\t`)) {
      return (trimmed.slice(PREFIX.length).trim().split(/\s+/)[0] ?? '').toLowerCase();
    }
  }
  return null;
}

export interface CommandOutcome {
  command: string;
  /** what was done, or why not */
  outcome: 'done' | 'unknown_command' | 'no_permission' | 'failed';
  reply: string;
}

export type CommandDeps = RecreateDeps;

/** null: not a command, or not on one of the bot's PRs/issues (nothing is said then). */
export async function onComment(deps: CommandDeps, event: CommentEvent): Promise<CommandOutcome | null> {
  if (event.isBot) return null;
  const word = parseCommand(event.body);
  if (word === null) return null;
  const row = await findIssueRow(deps.db, deps.forges, event.repo, event.target);
  if (!row) return null;

  const outcome = await decide(deps, event, row, word);
  const forge = deps.forges.forRepo(event.repo);
  await forge.comment(event.repo, event.target, `@${event.user} ${outcome.reply}`);
  deps.logger.info({ repo: row.repo, target: event.target.id, user: event.user, command: word, outcome: outcome.outcome }, 'comment command');
  return outcome;
}

async function decide(deps: CommandDeps, event: CommentEvent, row: IssueRow, word: string): Promise<CommandOutcome> {
  if (!(COMMANDS as readonly string[]).includes(word)) {
    const what = word ? `\`${word.replace(/`/g, '')}\` is not a command I know` : 'a command is missing';
    return {
      command: word,
      outcome: 'unknown_command',
      reply: `sorry, ${what}. The commands are: ${COMMANDS.map((c) => `\`${PREFIX} ${c}\``).join(', ')}.`,
    };
  }
  const command = word as Command;
  const permission = await deps.extras(event.repo).permission(event.repo, event.user);
  if (!WRITE_PERMISSIONS.has(permission)) {
    return {
      command,
      outcome: 'no_permission',
      reply: `sorry, \`${PREFIX} ${command}\` needs write access to ${event.repo.owner}/${event.repo.name} (yours: ${permission}). A maintainer can run it.`,
    };
  }
  const [t] = row.trackingId === null ? [] : await deps.db.select().from(tracking).where(eq(tracking.id, row.trackingId));
  if (!t) return { command, outcome: 'failed', reply: 'the tracking behind this issue no longer exists, so there is nothing to do.' };

  try {
    switch (command) {
      case 'pause':
        await deps.db.update(tracking).set({ enabled: false, status: 'paused', updatedAt: sql`now()` }).where(eq(tracking.id, t.id));
        return { command, outcome: 'done', reply: `paused tracking ${t.id} (${t.scmRepo} ${t.scmBranch} → ${t.repo} ${t.branch}); \`${PREFIX} resume\` starts it again.` };
      case 'resume':
        await deps.db
          .update(tracking)
          .set({ enabled: true, status: 'idle', consecutiveFailures: 0, nextAttemptAt: null, updatedAt: sql`now()` })
          .where(eq(tracking.id, t.id));
        return { command, outcome: 'done', reply: `resumed tracking ${t.id}; it is checked in the next scan cycle.` };
      case 'retry': {
        const result = await retryTracking(deps, t);
        if (result.action === 'paused') return { command, outcome: 'failed', reply: `tracking ${t.id} is paused; \`${PREFIX} resume\` it first.` };
        return { command, outcome: 'done', reply: `scanned tracking ${t.id} now: ${describeRun(result)}.` };
      }
      case 'recreate': {
        const p = await recreateAndCheck(deps, t, row);
        return { command, outcome: 'done', reply: `proposed the upstream commits ${p.rangeFrom.slice(0, 12)}..${p.rangeTo.slice(0, 12)} again: ${p.prUrl ?? `PR ${p.prNumber}`}` };
      }
      case 'status':
        return { command, outcome: 'done', reply: `\n\n${await statusTable(deps, t)}` };
    }
  } catch (err) {
    const message = redactSecrets(errorMessage(err));
    deps.logger.warn({ tracking: t.id, command, code: err instanceof AppError ? err.code : 'internal' }, `command failed: ${message}`);
    return { command, outcome: 'failed', reply: `\`${PREFIX} ${command}\` did not work: ${message}` };
  }
}

function describeRun(result: Exclude<RetryResult, { action: 'paused' }>): string {
  switch (result.action) {
    case 'busy':
      return 'another scan of it is running right now';
    case 'published':
      return `published ${result.published.map((p) => p.pr_url ?? p.pr).join(', ')}`;
    case 'up_to_date':
      return `nothing new upstream (head ${result.head.slice(0, 12)})`;
    case 'initialized':
      return `started at ${result.head.slice(0, 12)}`;
    case 'advanced':
      return result.reason;
    default:
      return result.action;
  }
}

const cell = (value: string | null | undefined) => (value ? value.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|') : '–');

export async function statusTable(deps: Pick<LifecycleDeps, 'db'>, t: TrackingRow): Promise<string> {
  const [current] = await deps.db.select().from(tracking).where(eq(tracking.id, t.id));
  const row = current ?? t;
  const open = await deps.db
    .select({ prUrl: issue.prUrl, prNumber: issue.prNumber })
    .from(issue)
    .where(and(eq(issue.trackingId, t.id), eq(issue.state, 'open')));
  const prs = open.map((o) => o.prUrl ?? `#${o.prNumber}`).join(', ');
  return [
    '| tracking | status | last error | last head | next attempt | open PRs |',
    '| --- | --- | --- | --- | --- | --- |',
    `| ${row.id} (${cell(row.scmRepo)} ${cell(row.scmBranch)} → ${cell(row.branch)}) | ${row.enabled ? row.status : 'paused'} | ${cell(row.lastError)} | ${cell(row.lastHead?.slice(0, 12))} | ${row.nextAttemptAt ? row.nextAttemptAt.toISOString() : '–'} | ${prs || '–'} |`,
  ].join('\n');
}
