/**
 * A GitHub delivery without a valid X-Hub-Signature-256 is refused with a 4xx and costs the log one warning
 * line: no error level, no stack trace, nothing of the payload.
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { payload } from './fixtures.js';

const SECRET = 'gh-secret';
const lines: Array<Record<string, unknown>> = [];
let service: TestService;

beforeAll(async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  service = await startTestService({ extraSettings: { APP_ID: '123', PRIVATE_KEY: privateKey.trim().replace(/\n/g, '\\n'), WEBHOOK_SECRET: SECRET }, logger });
});
afterAll(() => service?.stop());

const body = JSON.stringify(payload('github-push'));
const sign = (secret: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
function deliver(delivery: string, signature?: string) {
  return fetch(`${service.url}/api/github/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': delivery, ...(signature === undefined ? {} : { 'x-hub-signature-256': signature }) },
    body,
  });
}

/** The log lines written while `act` ran. */
async function logged(act: () => Promise<void>) {
  const from = lines.length;
  await act();
  await new Promise((r) => setTimeout(r, 100)); // a line written after the answer would still count
  return lines.slice(from);
}

describe('GitHub webhook signatures', () => {
  for (const [what, signature] of [
    ['a wrong signature', sign('development')],
    ['a signature that is not one', 'sha256=zz'],
    ['an empty signature', ''],
    ['no signature', undefined],
  ] as const) {
    it(`${what}: a 400 and one warning line without a stack`, async () => {
      const written = await logged(async () => {
        const res = await deliver(`bad-${what}`, signature);
        expect(res.status).toBe(400);
        expect(await res.text()).toMatch(/signature/i);
      });
      expect(written).toHaveLength(1);
      const [line] = written;
      expect(line).toMatchObject({ level: 40, delivery: `bad-${what}`, msg: expect.stringMatching(/^GitHub webhook refused: /) });
      expect(JSON.stringify(line)).not.toMatch(/stack|\\n\s+at |"ref":|refs\/heads/);
    });
  }

  it('a signed delivery still reaches the app, with no warning', async () => {
    const written = await logged(async () => {
      const res = await deliver('good-1', sign(SECRET));
      expect(res.status).toBe(200);
    });
    expect(written.filter((l) => (l.level as number) >= 40)).toEqual([]);
  });
});
