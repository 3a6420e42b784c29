/**
 * The Probot app function: only wires webhook events to handlers (kept thin, as Probot apps are).
 * Probot has verified the X-Hub-Signature-256 of every event before it gets here.
 */
import type { Probot } from 'probot';
import type { Lifecycle } from './lifecycle/index.js';
import { githubComment, githubPullClosed, githubPush } from './lifecycle/github-events.js';

export interface AppHandlers {
  lifecycle?: Lifecycle;
  onInstallationRepositories?: (payload: unknown) => Promise<void> | void;
}

export function createApp(handlers: AppHandlers = {}) {
  return (app: Probot) => {
    app.on(['installation_repositories.added', 'installation_repositories.removed'], async (context) => {
      await handlers.onInstallationRepositories?.(context.payload);
    });
    const lifecycle = handlers.lifecycle;
    if (!lifecycle) return;
    app.on('pull_request.closed', async (context) => {
      const event = githubPullClosed(context.payload);
      if (event) await lifecycle.pullClosed(event);
    });
    app.on('issue_comment.created', async (context) => {
      const event = githubComment(context.payload);
      if (event) await lifecycle.comment(event);
    });
    app.on('push', async (context) => {
      const event = githubPush(context.payload);
      if (event) await lifecycle.push(event);
    });
  };
}
