/**
 * One HTTP(S) server for everything: the GitHub App's webhook endpoint (Probot's middleware, when the app is
 * configured) and the REST API (Hono). Shutdown stops accepting, lets in-flight requests finish, then returns.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import type { ListenAddress } from './settings.js';

export type NodeMiddleware = (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => unknown;

export interface ServerOptions {
  listen: ListenAddress;
  tls?: { cert: string; key: string };
  /** handlers tried before the API (the webhook middleware); each calls next() when the request is not theirs */
  before?: NodeMiddleware[];
}

export interface RunningServer {
  server: http.Server;
  url: string;
  close(timeoutMs?: number): Promise<void>;
}

export async function startServer(api: Pick<Hono<never>, 'fetch'>, options: ServerOptions): Promise<RunningServer> {
  const apiListener = getRequestListener(api.fetch);
  const chain = options.before ?? [];
  const listener: http.RequestListener = (req, res) => {
    const run = (index: number): void => {
      const middleware = chain[index];
      if (!middleware) {
        void apiListener(req, res);
        return;
      }
      void middleware(req, res, () => run(index + 1));
    };
    run(0);
  };
  const server = options.tls
    ? https.createServer({ cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key) }, listener)
    : http.createServer(listener);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port, options.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${options.tls ? 'https' : 'http'}://${host}:${address.port}`;
  return {
    server,
    url,
    close: (timeoutMs = 10_000) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        // idle keep-alive sockets would hold close() open; busy ones finish their request first
        server.closeIdleConnections();
      }),
  };
}
