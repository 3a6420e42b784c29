import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { HttpClient } from '../../src/forges/http.js';
import { redactSecrets } from '../../src/log.js';

const API = 'https://forge.test';
const TOKEN = 'sekrit-token-123456';

function fakeClock(start = 1_700_000_000_000) {
  const clock = { t: start, sleeps: [] as number[] };
  return {
    clock,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.t += ms;
    },
  };
}

function client(extra: ConstructorParameters<typeof HttpClient>[0] = {}) {
  const time = fakeClock();
  const http = new HttpClient({ secrets: [TOKEN], random: () => 0.5, sleep: time.sleep, now: time.now, ...extra });
  return { http, clock: time.clock };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected the request to fail');
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('HttpClient retries', () => {
  it('retries a GET after 502 and a reset connection, backing off exponentially', async () => {
    const scope = nock(API)
      .get('/x')
      .reply(502, 'bad gateway')
      .get('/x')
      .replyWithError({ code: 'ECONNRESET', message: 'socket hang up' })
      .get('/x')
      .reply(200, { ok: true });
    const { http, clock } = client();
    const res = await http.request<{ ok: boolean }>({ method: 'GET', url: `${API}/x` });
    expect(res.data).toEqual({ ok: true });
    expect(scope.isDone()).toBe(true);
    // base 500 ms, doubled per attempt, jitter fixed at the midpoint (0.75 of the cap)
    expect(clock.sleeps).toEqual([375, 750]);
  });

  it('gives up after the configured retries with forge_http and the status', async () => {
    nock(API).get('/x').times(3).reply(500, { message: 'boom' });
    const { http } = client({ retry: { retries: 2 } });
    const err = await failure(http.request({ method: 'GET', url: `${API}/x` }));
    expect(err.code).toBe('forge_http');
    expect(err.status).toBe(500);
    expect(err.message).toContain('boom');
  });

  it('does not replay a POST after a 5xx (it may have been applied)', async () => {
    const scope = nock(API).post('/issues').reply(500, 'oops').post('/issues').reply(201, { id: 1 });
    const { http, clock } = client();
    const err = await failure(http.request({ method: 'POST', url: `${API}/issues`, json: { title: 't' } }));
    expect(err.code).toBe('forge_http');
    expect(scope.pendingMocks()).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('does not replay a POST after a reset connection, but does when the caller marks it safe', async () => {
    nock(API).post('/c').replyWithError({ code: 'ECONNRESET', message: 'reset' });
    const { http } = client();
    expect((await failure(http.request({ method: 'POST', url: `${API}/c`, json: {} }))).code).toBe('forge_http');

    const scope = nock(API).post('/c').reply(503).post('/c').reply(201, { sha: 'abc' });
    const res = await http.request({ method: 'POST', url: `${API}/c`, json: {}, retrySafe: true });
    expect(res.data).toEqual({ sha: 'abc' });
    expect(scope.isDone()).toBe(true);
  });

  it('replays a POST refused before it was sent (connection refused)', async () => {
    const scope = nock(API)
      .post('/c')
      .replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' })
      .post('/c')
      .reply(201, { done: 1 });
    const { http } = client();
    expect((await http.request({ method: 'POST', url: `${API}/c`, json: {} })).data).toEqual({ done: 1 });
    expect(scope.isDone()).toBe(true);
  });
});

describe('HttpClient rate limits', () => {
  it('waits exactly Retry-After seconds on 429, even for a POST', async () => {
    const scope = nock(API)
      .post('/issues')
      .reply(429, { message: 'slow down' }, { 'Retry-After': '7' })
      .post('/issues')
      .reply(201, { number: 'I1' });
    const { http, clock } = client();
    const res = await http.request({ method: 'POST', url: `${API}/issues`, json: {} });
    expect(res.status).toBe(201);
    expect(clock.sleeps).toEqual([7000]);
    expect(scope.isDone()).toBe(true);
  });

  it('waits until x-ratelimit-reset when the budget is exhausted', async () => {
    const { http, clock } = client();
    const reset = Math.floor(clock.t / 1000) + 30;
    nock(API)
      .get('/x')
      .reply(403, { message: 'API rate limit exceeded' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) })
      .get('/x')
      .reply(200, []);
    await http.request({ method: 'GET', url: `${API}/x` });
    expect(clock.sleeps).toHaveLength(1);
    const expected = reset * 1000 - 1_700_000_000_000 + 1000;
    expect(clock.sleeps[0]).toBe(expected);
  });

  it('holds the next request until the reset once a successful answer says the budget is spent', async () => {
    const { http, clock } = client({ retry: { maxRateLimitWaitMs: 60_000 } });
    const reset = Math.floor(clock.t / 1000) + 10;
    const scope = nock(API)
      .get('/x')
      .reply(200, [], { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) })
      .get('/y')
      .reply(200, []);
    await http.request({ method: 'GET', url: `${API}/x` });
    expect(clock.sleeps).toEqual([]);
    await http.request({ method: 'GET', url: `${API}/y` });
    expect(clock.sleeps).toEqual([11_000]);
    expect(scope.isDone()).toBe(true);

    nock(API).get('/z').reply(200, [], { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset + 3600) });
    const unsent = nock(API).get('/w').reply(200, []);
    await http.request({ method: 'GET', url: `${API}/z` });
    const err = await failure(http.request({ method: 'GET', url: `${API}/w` }));
    expect(err.code).toBe('forge_rate_limited');
    expect(err.message).toContain('rate limit is exhausted until');
    expect(unsent.isDone()).toBe(false);
  });

  it('reports forge_rate_limited instead of sleeping past the longest allowed wait', async () => {
    nock(API).get('/x').reply(429, 'no', { 'Retry-After': '3600' });
    const { http, clock } = client({ retry: { maxRateLimitWaitMs: 60_000 } });
    const err = await failure(http.request({ method: 'GET', url: `${API}/x` }));
    expect(err.code).toBe('forge_rate_limited');
    expect(err.status).toBe(429);
    expect(clock.sleeps).toEqual([]);
  });
});

describe('HttpClient timeouts and errors', () => {
  it('aborts a request that takes longer than the timeout with forge_timeout', async () => {
    nock(API).get('/slow').delay(2000).reply(200, {});
    const { http } = client({ timeoutMs: 50, retry: { retries: 0 } });
    const started = Date.now();
    const err = await failure(http.request({ method: 'GET', url: `${API}/slow` }));
    expect(err.code).toBe('forge_timeout');
    expect(err.message).toContain('timed out after 50 ms');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('retries a GET that timed out', async () => {
    const scope = nock(API).get('/slow').delay(2000).reply(200, {}).get('/slow').reply(200, { second: true });
    const { http } = client({ timeoutMs: 50 });
    expect((await http.request({ method: 'GET', url: `${API}/slow` })).data).toEqual({ second: true });
    expect(scope.isDone()).toBe(true);
  });

  it('maps 401/403 to forge_auth and 404 to forge_not_found, never showing the token', async () => {
    nock(API)
      .get('/a')
      .query(true)
      .reply(401, { message: `token ${TOKEN} is invalid` })
      .get('/b')
      .query(true)
      .reply(404, { message: 'Not Found' });
    const { http } = client();
    const auth = await failure(http.request({ method: 'GET', url: `${API}/a`, query: { access_token: TOKEN } }));
    expect(auth.code).toBe('forge_auth');
    expect(auth.status).toBe(401);
    expect(auth.message).not.toContain(TOKEN);
    expect(auth.message).toContain('access_token=***');
    const missing = await failure(http.request({ method: 'GET', url: `${API}/b`, query: { access_token: TOKEN, ref: 'master' } }));
    expect(missing.code).toBe('forge_not_found');
    expect(missing.message).not.toContain(TOKEN);
    expect(missing.message).toContain('ref=master');
  });

  it('keeps the token out of network error messages', async () => {
    nock(API).post('/c').query(true).replyWithError({ code: 'EPIPE', message: `write failed for access_token=${TOKEN}` });
    const { http } = client();
    const err = await failure(http.request({ method: 'POST', url: `${API}/c`, query: { access_token: TOKEN }, json: {} }));
    expect(err.message).not.toContain(TOKEN);
  });
});

describe('redactSecrets', () => {
  it('scrubs tokens in URLs, JSON bodies, authorization headers and known literals', () => {
    const text = [
      'GET https://gitee.com/api/v5/user?access_token=abc123&x=1',
      '{"access_token":"abc123","title":"t"}',
      'authorization: token ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'Authorization: Bearer xyz.abc',
      'raw mysecretvalue here',
    ].join('\n');
    const out = redactSecrets(text, ['mysecretvalue']);
    expect(out).not.toMatch(/abc123|ghp_abc|xyz\.abc|mysecretvalue/);
    expect(out).toContain('x=1');
    expect(out).toContain('"title":"t"');
  });
});
