/** The bot's lifecycle: following its PRs, comment commands, push-triggered scans; one entry per event kind. */
import { onComment, type CommandDeps, type CommandOutcome } from './commands.js';
import type { CommentEvent, PullClosedEvent, PushEvent } from './events.js';
import { onPullClosed, type PullClosedOutcome } from './pulls.js';
import { onPush } from './push.js';
import { recreateAndCheck } from './recreate.js';
import { retryTracking, type RetryResult } from './retry.js';
import type { IssueRow, PublicationRow, TrackingRow } from '../db/schema/index.js';

export type { CommandOutcome, PullClosedOutcome, RetryResult };

export class Lifecycle {
  constructor(readonly deps: CommandDeps) {}

  pullClosed(event: PullClosedEvent): Promise<PullClosedOutcome> {
    return onPullClosed(this.deps, event);
  }

  comment(event: CommentEvent): Promise<CommandOutcome | null> {
    return onComment(this.deps, event);
  }

  push(event: PushEvent): Promise<number[]> {
    return onPush(this.deps, event);
  }

  /** what `/patch-tracking retry` does, for the dashboard */
  retry(t: TrackingRow): Promise<RetryResult> {
    return retryTracking(this.deps, t);
  }

  /** what `/patch-tracking recreate` does, for the dashboard */
  recreate(t: TrackingRow, row: IssueRow): Promise<PublicationRow> {
    return recreateAndCheck(this.deps, t, row);
  }
}
