/** A tracking's target may be a local repository (for dry runs): the API takes absolute paths and file:/// URLs, nothing vaguer. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, jsonRequest } from '../helpers/api.js';

const ITEM = { version_control: 'git', scm_repo: 'https://example.org/up/lib.git', scm_branch: 'main', branch: 'master', enabled: false };

let api: Awaited<ReturnType<typeof createTestApi>>;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

describe('a local target repository', () => {
  it.each(['/srv/pkgs/hello', 'file:///srv/pkgs/hello.git'])('accepts %s', async (repo) => {
    const res = await api.app.request('/api/v1/trackings', jsonRequest('POST', { ...ITEM, repo }));
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ repo });
  });

  it.each(['file://host/srv/hello', '/srv/../etc/hello', 'srv/pkgs/hello', '/srv/my pkgs/hello'])('refuses %j naming the repo field', async (repo) => {
    const res = await api.app.request('/api/v1/trackings', jsonRequest('POST', { ...ITEM, repo }));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ field: 'repo' });
  });
});
