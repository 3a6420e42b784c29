/** Credentials in an upstream URL never leave the server: not in answers, not in log lines (issue 9, item 6). */
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createTestApi, jsonRequest } from '../helpers/api.js';

const TOKEN = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
const URL_WITH_TOKEN = `https://bot:${TOKEN}@git.example.org/up.git`;

let api: Awaited<ReturnType<typeof createTestApi>>;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

describe('an upstream URL with user-info', () => {
  it('is shown without it by every listing and by the answer to its own creation', async () => {
    const item = { version_control: 'git', scm_repo: URL_WITH_TOKEN, scm_branch: 'main', repo: 'o/secret', branch: 'master', enabled: true };
    const created = await api.app.request('/api/v1/trackings', jsonRequest('POST', item));
    expect(created.status).toBe(201);
    const { id } = (await created.clone().json()) as { id: number };
    const compatEcho = await api.app.request('/tracking', jsonRequest('POST', { ...item, branch: 'other' }));
    const answers = [
      created,
      compatEcho,
      await api.app.request('/tracking'),
      await api.app.request('/api/v1/trackings'),
      await api.app.request(`/api/v1/trackings/${id}`),
      await api.app.request(`/api/v1/trackings/${id}`, jsonRequest('PATCH', { enabled: false })),
    ];
    for (const res of answers) {
      const text = await res.text();
      expect(text).toContain('https://git.example.org/up.git');
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('bot:');
    }
  });

  it('is not logged with a failed query, whose parameters quote it', async () => {
    let err: unknown;
    try {
      await api.db.execute(sql`select ${URL_WITH_TOKEN}::int`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message) + JSON.stringify(err)).toContain(TOKEN);
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    createLogger('info', sink).error({ err }, 'request failed');
    await new Promise((r) => setImmediate(r));
    expect(lines.join('')).toContain('request failed');
    expect(lines.join('')).toContain('select $1::int');
    expect(lines.join('')).not.toContain(TOKEN);
    expect(lines.join('')).not.toContain('bot:');
  });
});
