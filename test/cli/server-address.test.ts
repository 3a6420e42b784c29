/**
 * How `--server` is read and when the CLI may leave https: the old `host:port` form tries https first and
 * falls back to plain HTTP only when the handshake shows the peer does not speak TLS; never on a
 * certificate problem, never for an explicit https:// URL.
 */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseServerAddress } from '../../cli/client/server-address.js';
import { cli } from './run-cli.js';

// an Error instance: nock 14 never delivers a plain-object error to the request
const socketError = (code: string, message: string) => Object.assign(new Error(message), { code });
const envelope = (data: unknown) => ({ code: '2001', msg: 'Successful Operation!', data });

// stricter than test/setup.ts: every address here, loopback too, is nock's
beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('--server', () => {
  it('accepts host:port (https first, may fall back) and http(s) URLs (exactly as given)', () => {
    expect(parseServerAddress('127.0.0.1:5001')).toMatchObject({ base: new URL('https://127.0.0.1:5001/'), mayFallBackToHttp: true });
    expect(parseServerAddress('[::1]:5001').base.href).toBe('https://[::1]:5001/');
    expect(parseServerAddress('http://pt.example:8080')).toMatchObject({ base: new URL('http://pt.example:8080/'), mayFallBackToHttp: false });
    expect(parseServerAddress('https://pt.example/patch-tracking').base.href).toBe('https://pt.example/patch-tracking/');
    expect(() => parseServerAddress('ftp://pt.example')).toThrow(/unsupported scheme ftp:/);
    expect(() => parseServerAddress('https://admin:Secret@pt.example')).toThrow('--server: do not put credentials in the URL; use --user/--password or --token');
  });

  it('falls back to http when the handshake is answered in plain HTTP, warning that a remote connection is unencrypted', async () => {
    const tls = nock('https://pt.example:5001').get('/tracking').replyWithError(socketError('EPROTO', 'write EPROTO ssl3_get_record:wrong version number'));
    const plain = nock('http://pt.example:5001').get('/tracking').reply(200, envelope([]));
    const result = await cli(['query', '--server', 'pt.example:5001', '--json']);
    expect(result).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(result.stderr).toBe('warning: pt.example:5001 does not speak TLS: using plain HTTP, so the data travel unencrypted (--server https://… refuses plain HTTP)\n');
    tls.done();
    plain.done();
  });

  it('never falls back on a certificate error', async () => {
    nock('https://pt.example:5001').get('/tracking').replyWithError(socketError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'));
    const plain = nock('http://pt.example:5001').get('/tracking').reply(200, envelope([]));
    const result = await cli(['query', '--server', 'pt.example:5001']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the TLS certificate of https://pt.example:5001 is not trusted: self-signed certificate');
    expect(plain.isDone()).toBe(false);
  });

  it('an explicit https:// URL never falls back', async () => {
    nock('https://pt.example:5001').get('/tracking').replyWithError(socketError('EPROTO', 'wrong version number'));
    const plain = nock('http://pt.example:5001').get('/tracking').reply(200, envelope([]));
    const result = await cli(['query', '--server', 'https://pt.example:5001']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('does not speak TLS (it answered in plain HTTP)');
    expect(plain.isDone()).toBe(false);
  });
});
