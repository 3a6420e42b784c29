/** The bot's lifecycle: following its PRs, comment commands, push-triggered scans; one entry per event kind. */
import { onComment, type CommandDeps, type CommandOutcome } from './commands.js';
import type { CommentEvent, PullClosedEvent, PushEvent } from './events.js';
import { onPullClosed, type PullClosedOutcome } from './pulls.js';
import { onPush } from './push.js';

export type { CommandOutcome, PullClosedOutcome };

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
}
