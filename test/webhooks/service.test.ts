/**
 * The wiring in main.ts: a live service mounts the Gitee webhook route (verified with GITEE_WEBHOOK_SECRET)
 * and the GitHub App's webhooks (verified with WEBHOOK_SECRET; refused altogether without one).
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { giteeSignature } from '../../src/api/webhooks/gitee-verify.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { payload } from './fixtures.js';

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

describe('GitHub App webhooks in the service', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const pem = privateKey.trim().replace(/\n/g, '\\n');
  const body = JSON.stringify(payload('github-push'));
  const deliver = (url: string, secret: string) =>
    fetch(`${url}/api/github/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'svc-1', 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
      body,
    });

  it('with WEBHOOK_SECRET: signed deliveries are handled, others refused', async () => {
    const s = await startTestService({ extraSettings: { APP_ID: '123', PRIVATE_KEY: pem, WEBHOOK_SECRET: 'gh-secret' } });
    try {
      expect((await deliver(s.url, 'gh-secret')).status).toBe(200);
      expect((await deliver(s.url, 'development')).status).toBe(400);
    } finally {
      await s.stop();
    }
  });

  it('without WEBHOOK_SECRET no delivery is accepted (not even one signed with Probot\'s default "development")', async () => {
    const s = await startTestService({ extraSettings: { APP_ID: '123', PRIVATE_KEY: pem } });
    try {
      const res = await deliver(s.url, 'development');
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    } finally {
      await s.stop();
    }
  });
});
