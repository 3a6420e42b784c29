/**
 * The Probot app function: only wires webhook events to handlers (kept thin, as Probot apps are).
 * Probot has verified the X-Hub-Signature-256 of every event before it gets here. A signature carries no
 * time, so a captured delivery stays authentic forever: each X-GitHub-Delivery is acted on once.
 */
import type { Probot } from 'probot';
import type { Lifecycle } from './lifecycle/index.js';
import { githubComment, githubPullClosed, githubPush } from './lifecycle/github-events.js';

export interface AppHandlers {
  lifecycle?: Lifecycle;
  onInstallationRepositories?: (payload: unknown) => Promise<void> | void;
  /** false for a delivery id already acted on (see lifecycle/deliveries.ts); without it every delivery is new */
  firstDelivery?: (deliveryId: string) => Promise<boolean>;
}

export function createApp(handlers: AppHandlers = {}) {
  return (app: Probot) => {
    const once =
      <C extends { id: string }>(handle: (context: C) => Promise<void>) =>
      async (context: C) => {
        if (handlers.firstDelivery && !(await handlers.firstDelivery(context.id))) {
          app.log.warn({ delivery: context.id }, 'GitHub delivery already received; ignored');
          return;
        }
        await handle(context);
      };
    app.on(['installation_repositories.added', 'installation_repositories.removed'], once(async (context) => {
      await handlers.onInstallationRepositories?.(context.payload);
    }));
    const lifecycle = handlers.lifecycle;
    if (!lifecycle) return;
    app.on('pull_request.closed', once(async (context) => {
      const event = githubPullClosed(context.payload);
      if (event) await lifecycle.pullClosed(event);
    }));
    app.on('issue_comment.created', once(async (context) => {
      const event = githubComment(context.payload);
      if (event) await lifecycle.comment(event);
    }));
    app.on('push', once(async (context) => {
      const event = githubPush(context.payload);
      if (event) await lifecycle.push(event);
    }));
  };
}
