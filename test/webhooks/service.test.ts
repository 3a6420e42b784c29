/**
 * The wiring in main.ts: a live service mounts the Gitee webhook route (verified with GITEE_WEBHOOK_SECRET)
 * next to the API.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { giteeSignature } from '../../src/api/webhooks/gitee-verify.js';
import { startTestService, type TestService } from '../helpers/service.js';

let service: TestService;
beforeAll(async () => {
  service = await startTestService({ extraSettings: { GITEE_WEBHOOK_SECRET: 'hook-secret' } });
});
afterAll(() => service.stop());

it('POST /api/gitee/webhooks: a signed delivery is accepted, a bad one refused', async () => {
  const ts = String(Date.now());
  const post = (token: string) =>
    fetch(`${service.url}/api/gitee/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gitee-event': 'Push Hook', 'x-gitee-timestamp': ts, 'x-gitee-token': token },
      body: JSON.stringify({ ref: 'refs/heads/main', repository: { path_with_namespace: 'up/lib', html_url: 'https://gitee.com/up/lib' } }),
    });
  const bad = await post('guess');
  expect(bad.status).toBe(401);
  const good = await post(giteeSignature('hook-secret', ts));
  expect(good.status).toBe(200);
  expect(await good.json()).toEqual({ handled: true, queued: [] });
});
