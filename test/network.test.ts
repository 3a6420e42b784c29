/**
 * test/setup.ts closes the network to every test file: these check it from inside a test, as any test sees
 * it. 0.0.0.0 stands for "not loopback" because, should the guard be missing, it still only reaches this
 * machine.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let http: HttpServer;
let port: number;

beforeAll(async () => {
  http = createHttpServer((_req, res) => res.end('local'));
  await new Promise<void>((resolve) => http.listen(0, '0.0.0.0', resolve));
  port = (http.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => http.close(resolve));
});

function rawConnect(host: string): Promise<'connected' | Error> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', resolve);
  });
}

describe('the network in tests', () => {
  it.each(['127.0.0.1', 'localhost'])('is open to HTTP and raw sockets on %s', async (host) => {
    expect(await (await fetch(`http://${host}:${port}/`)).text()).toBe('local');
    expect(await rawConnect(host)).toBe('connected');
  });

  it('refuses HTTP to any other address', async () => {
    await expect(fetch(`http://0.0.0.0:${port}/`)).rejects.toThrow();
    const answer = await fetch(`http://0.0.0.0:${port}/`).catch((err: Error) => err.cause ?? err);
    expect(String(answer)).toMatch(/Nock: Disallowed net connect/);
  });

  it('refuses a raw socket to any other address', async () => {
    const answer = await rawConnect('0.0.0.0');
    expect(answer).toBeInstanceOf(Error);
    expect((answer as Error).message).toMatch(/tests may not reach the network: a socket to 0\.0\.0\.0/);
  });
});
