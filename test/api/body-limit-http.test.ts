/**
 * BODY_LIMIT over a real HTTP connection (the node adapter, as the service serves): a declared
 * Content-Length above the limit and a chunked body that grows past it both get the 413 envelope; a body
 * within the limit and a GET pass.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, createTestApi } from '../helpers/api.js';

let api: Awaited<ReturnType<typeof createTestApi>>;
let server: http.Server;
let port: number;
beforeAll(async () => {
  api = await createTestApi();
  server = http.createServer(getRequestListener(api.app.fetch));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await api.close();
});

function send(method: string, body: string | undefined, chunked = false): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: basicAuth() };
    if (body !== undefined && !chunked) headers['content-length'] = String(Buffer.byteLength(body));
    const req = http.request({ host: '127.0.0.1', port, path: '/tracking', method, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    if (body !== undefined && chunked) {
      // several chunks, no Content-Length: Transfer-Encoding: chunked
      for (let i = 0; i < body.length; i += 8192) req.write(body.slice(i, i + 8192));
    } else if (body !== undefined) req.write(body);
    req.end();
  });
}

const item = (scmRepo: string) => JSON.stringify({ version_control: 'github', scm_repo: scmRepo, scm_branch: 'master', repo: 'https://gitee.com/src-openeuler/limit', branch: 'master', enabled: true });

describe('BODY_LIMIT over HTTP', () => {
  it('refuses a declared Content-Length above the limit', async () => {
    const res = await send('POST', item('x'.repeat(100_000)));
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text).detail).toMatch(/larger than 65536 bytes/);
  });

  it('refuses a chunked body that grows past the limit', async () => {
    const res = await send('POST', item('x'.repeat(100_000)), true);
    expect(res.status).toBe(413);
  });

  it('takes a body within the limit (declared or chunked) and a GET', async () => {
    expect(JSON.parse((await send('POST', item('owner/fits'))).text).code).toBe('2001');
    expect(JSON.parse((await send('POST', item('owner/fits-chunked'), true)).text).code).toBe('2001');
    expect((await send('GET', undefined)).status).toBe(200);
  });
});
