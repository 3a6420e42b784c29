/**
 * The API reference covers the API: every /api/v1 route the app serves is an operation of its OpenAPI
 * document (a new route without documentation fails here), the document is valid OpenAPI 3.1, and the
 * docs page links the Patchwork API's own reference and describes the old routes.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { openApiApp } from '../helpers/openapi.js';

type Doc = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters?: { name: string; in: string }[] }>> };

const { app } = openApiApp();
const doc = async () => (await (await app.request('/api/v1/openapi.json')).json()) as Doc;

/** The methods and paths the app routes under /api/v1 (middleware and the document's own two routes aside). */
function servedV1Operations(): string[] {
  const own = new Set(['/api/v1/openapi.json', '/api/v1/docs']);
  const ops = app.routes
    .filter((r) => r.method !== 'ALL' && r.path.startsWith('/api/v1/') && !own.has(r.path))
    .map((r) => `${r.method.toLowerCase()} ${r.path.slice('/api/v1'.length).replace(/:([^/]+)/g, '{$1}')}`);
  return [...new Set(ops)].sort();
}

describe('the OpenAPI document', () => {
  it('describes every /api/v1 route the app serves', async () => {
    const { paths } = await doc();
    const documented = Object.entries(paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
    const served = servedV1Operations();
    // the routes this change documented are among them (the walk itself found routes)
    for (const op of ['post /mail', 'get /ci', 'post /ci', 'get /checks', 'post /checks', 'get /checks/combined', 'get /ranges/{id}', 'get /events', 'post /testers/claim', 'post /testers/jobs/{id}/report', 'get /testers/jobs', 'get /testers/jobs/{id}', 'get /testers/jobs/{id}/log', 'get /series/{id}/compare', 'post /trackings/{id}/scan']) {
      expect(served).toContain(op);
    }
    expect(served.filter((op) => !documented.includes(op))).toEqual([]);
  });

  it('is valid OpenAPI 3.1', async () => {
    const document = await doc();
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("gives the scan answer its real schema, and documents mail's list_id", async () => {
    const { paths } = await doc();
    const scan = JSON.stringify(paths['/trackings/{id}/scan']!.post!.responses['200']);
    expect(scan).toContain('#/components/schemas/ScanResult');
    const schemas = ((await doc()) as unknown as { components: { schemas: Record<string, unknown> } }).components.schemas;
    expect(JSON.stringify(schemas.ScanResult)).toContain('dry_run');
    expect(paths['/mail']!.post!.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'list_id', in: 'query' })]));
  });

  it("the docs page lists every operation, links Patchwork's API reference and describes the old routes", async () => {
    const page = await (await app.request('/api/v1/docs')).text();
    expect(page).toContain('href="https://patchwork.readthedocs.io/en/latest/api/rest/"');
    expect(page).toContain('<code>/api/v1/mail</code>');
    expect(page).toContain('<code>/api/v1/testers/claim</code>');
    expect(page).toMatch(/<code>GET \/tracking<\/code>/);
  });
});
