/**
 * The Probot app function: only wires webhook events to handlers (kept thin, as Probot apps are).
 */
import type { Probot } from 'probot';

export interface AppHandlers {
  onInstallationRepositories?: (payload: unknown) => Promise<void>;
}

export function createApp(handlers: AppHandlers = {}) {
  return (app: Probot) => {
    app.on(['installation_repositories.added', 'installation_repositories.removed'], async (context) => {
      await handlers.onInstallationRepositories?.(context.payload);
    });
  };
}
