/**
 * POST /api/gitee/webhooks: Gitee's webhooks, verified (see gitee-verify.ts) before the body is read as an
 * event. Merge Request Hook → PR merged/closed, Note Hook → comment commands, Push Hook → immediate scans.
 */
import { Hono } from 'hono';
import { clientAddress } from '../../http/request.js';
import type { ApiEnv } from '../context.js';
import { AppError } from '../../errors.js';
import type { Database } from '../../db/client.js';
import type { Lifecycle } from '../../lifecycle/index.js';
import { appErrorResponse, jsonError } from '../errors.js';
import { giteeComment, giteePullClosed, giteePush } from '../../lifecycle/gitee-events.js';
import { verifyGiteeRequest } from './gitee-verify.js';

export const GITEE_WEBHOOK_PATH = '/api/gitee/webhooks';

export interface GiteeWebhookDeps {
  db: Database;
  secret: string;
  lifecycle: Lifecycle;
  now?: () => number;
}

export function giteeWebhookRoutes(deps: GiteeWebhookDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.post(GITEE_WEBHOOK_PATH, async (c) => {
    const body = await c.req.text();
    const kind = c.req.header('x-gitee-event') ?? '';
    try {
      await verifyGiteeRequest(
        { secret: deps.secret, db: deps.db, now: deps.now },
        { token: c.req.header('x-gitee-token'), timestamp: c.req.header('x-gitee-timestamp'), event: kind },
        body,
      );
    } catch (err) {
      if (err instanceof AppError) {
        c.get('logger')?.warn({ code: err.code, client: clientAddress(c) }, `Gitee webhook refused: ${err.message}`);
        return appErrorResponse(c, err);
      }
      throw err;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return jsonError(c, 'invalid_json', 'the webhook body is not JSON');
    }
    if (kind === 'Merge Request Hook') {
      const event = giteePullClosed(payload);
      if (!event) return c.json({ handled: false, reason: 'not a merge or close of a pull request' });
      return c.json({ handled: true, outcome: await deps.lifecycle.pullClosed(event) });
    }
    if (kind === 'Note Hook') {
      const event = giteeComment(payload);
      if (!event) return c.json({ handled: false, reason: 'not a comment on an issue or pull request' });
      const outcome = await deps.lifecycle.comment(event);
      return c.json({ handled: outcome !== null, outcome: outcome?.outcome ?? null });
    }
    if (kind === 'Push Hook') {
      const event = giteePush(payload);
      if (!event) return c.json({ handled: false, reason: 'not a push with a repository' });
      return c.json({ handled: true, queued: await deps.lifecycle.push(event) });
    }
    return c.json({ handled: false, reason: `event "${kind.slice(0, 60)}" is not used` });
  });
  return app;
}
