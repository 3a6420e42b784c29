/**
 * The links the service answers (Patchwork's `url`/`web_url`/`mbox`, the dashboard's mbox links, paging
 * Link headers) use X-Forwarded-Proto/-Host only when a proxy named in TRUSTED_PROXIES sends them: anyone
 * else forging them must not make the service hand out links to another host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject } from '../../src/mail/store/projects.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createTestApi } from '../helpers/api.js';
import { corpusMessages } from '../mail/corpus.js';

type Api = Awaited<ReturnType<typeof createTestApi>>;
let api: Api;

const FORGED = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' };
const PROXIED = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'patches.example.org, inner.example' };
/** the socket's peer, as the Node server hands it to the app */
const from = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });

async function patchJson(headers: Record<string, string>, env?: object) {
  const res = await api.app.request('/api/1.3/patches/1/', { headers }, env);
  expect(res.status).toBe(200);
  return (await res.json()) as { url: string; web_url: string; mbox: string; project: { url: string } };
}

beforeAll(async () => {
  api = await createTestApi({ trustedProxies: ['10.0.0.0/8'] });
  await createProject(api.db, { linkName: 'demo', listId: 'demo.example.org' });
  const raws = await corpusMessages('series/base-single-patch.mbox');
  await new MailStore(api.db).storeBatch(raws.map((raw) => ({ raw, listId: 'demo.example.org' })));
});
afterAll(async () => {
  await api?.close();
});

describe('forwarded origin', () => {
  it('ignores X-Forwarded-Proto/-Host from a peer that is not a trusted proxy', async () => {
    for (const env of [from('203.0.113.7'), undefined]) {
      const patch = await patchJson(FORGED, env);
      for (const link of [patch.url, patch.web_url, patch.mbox, patch.project.url]) expect(link).toMatch(/^http:\/\/localhost\//);
    }
    const list = await api.app.request('/api/1.3/patches/?per_page=1', { headers: FORGED }, from('203.0.113.7'));
    expect(list.headers.get('link') ?? '').not.toContain('evil.example');
    const page = await api.app.request('/patch/1/', { headers: FORGED }, from('203.0.113.7'));
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('http://localhost/patch/1/mbox/');
    expect(html).not.toContain('evil.example');
  });

  it("believes a trusted proxy about the client's scheme and host (the first, client-side value)", async () => {
    const patch = await patchJson(PROXIED, from('10.1.2.3'));
    expect(patch.url).toBe('https://patches.example.org/api/1.3/patches/1/');
    expect(patch.web_url).toMatch(/^https:\/\/patches\.example\.org\/project\/demo\/patch\//);
    const page = await api.app.request('/patch/1/', { headers: PROXIED }, from('::ffff:10.1.2.3'));
    expect(await page.text()).toContain('https://patches.example.org/patch/1/mbox/');
  });

  it('keeps its own host when even a trusted proxy sends a host that is not one', async () => {
    const patch = await patchJson({ 'x-forwarded-host': 'evil.example/x?', 'x-forwarded-proto': 'gopher' }, from('10.1.2.3'));
    expect(patch.url).toBe('http://localhost/api/1.3/patches/1/');
  });
});
