/**
 * GitHub App deliveries are checked against WEBHOOK_SECRET before Probot sees them. A delivery that is not
 * GitHub's (no X-Hub-Signature-256, or a wrong one) is answered 400 and costs one warning line, as a refused
 * Gitee delivery does; inside Probot's middleware it would be logged twice as an error with a stack trace
 * (and the payload). A signed delivery goes on to Probot with its body already read: Probot's middleware
 * reads `req.body` when it is a string, and verifies the signature again.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TrustedProxies } from '../http/trusted-proxies.js';
import type { Logger } from '../log.js';

/** GitHub caps webhook payloads at 25 MB. */
const MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;

export interface GitHubSignatureGateOptions {
  /** the webhook path Probot serves */
  path: string;
  /** Probot's own check (`probot.webhooks.verify`), with WEBHOOK_SECRET */
  verify: (payload: string, signature: string) => Promise<boolean>;
  logger: Logger;
  proxies: TrustedProxies;
}

type Next = () => void;

export function githubSignatureGate(options: GitHubSignatureGateOptions) {
  const path = withoutTrailingSlash(options.path);
  return async (req: IncomingMessage & { body?: unknown }, res: ServerResponse, next: Next): Promise<void> => {
    if (req.method !== 'POST' || withoutTrailingSlash(new URL(req.url ?? '/', 'http://localhost').pathname) !== path) return next();
    const refuse = (status: number, reason: string) => {
      const client = options.proxies.clientOf(req.socket.remoteAddress ?? 'local', header(req, 'x-forwarded-for'));
      options.logger.warn({ client, delivery: header(req, 'x-github-delivery')?.slice(0, 100), event: header(req, 'x-github-event')?.slice(0, 100) }, `GitHub webhook refused: ${reason}`);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: reason }));
    };
    const signature = header(req, 'x-hub-signature-256');
    if (!signature) return refuse(400, 'no X-Hub-Signature-256 header: not a delivery from GitHub');
    const payload = await readBody(req);
    if (payload === 'aborted') return void res.destroy();
    if (payload === 'too_large') return refuse(413, `the payload is larger than ${MAX_PAYLOAD_BYTES} bytes`);
    const valid = await options.verify(payload, signature).catch(() => false);
    if (!valid) return refuse(400, 'X-Hub-Signature-256 does not match the payload and WEBHOOK_SECRET');
    req.body = payload;
    next();
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function withoutTrailingSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/** The body as text (decoded as Probot decodes it); never rejects, so a client that hangs up ends nothing else. */
function readBody(req: IncomingMessage): Promise<string | 'too_large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_PAYLOAD_BYTES ? 'too_large' : new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks))));
    // first settle wins: 'close' after 'end' changes nothing
    req.on('error', () => resolve('aborted'));
    req.on('close', () => resolve('aborted'));
  });
}
