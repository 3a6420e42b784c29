/**
 * The CLI's HTTP transport: node:http/node:https with one keep-alive agent per run (the server remembers a
 * verified password, so a bulk import reuses one connection and pays for one bcrypt run), a custom CA when
 * asked, and the old `host:port` form's https-first behaviour.
 *
 * Falling back from https to http happens only when the TLS handshake shows the peer speaks plain HTTP
 * ("wrong version number" and friends). A certificate problem never causes a fallback: that would let
 * anyone in the middle downgrade the connection.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { asPlainHttp, describeServer, type ServerAddress } from './server-address.js';
import { operationError } from './errors.js';
import type { TlsTrust } from './tls-trust.js';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Credentials {
  /** the Authorization header value */
  header: string;
  kind: 'password' | 'token';
  user?: string;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE';
  /** relative to the server's base URL, without a leading slash (e.g. "tracking", "api/v1/tokens") */
  path: string;
  query?: Record<string, string | undefined>;
  json?: unknown;
  timeoutMs?: number;
}

/** A failure of the connection itself (refused, TLS, timeout): every further request would fail the same way. */
export class ConnectionError extends Error {
  readonly exitCode = 1 as const;
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionError';
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

const CERTIFICATE_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

/** The handshake got an HTTP answer (or other non-TLS bytes) back: the peer does not speak TLS. */
export function peerSpeaksPlainHttp(err: NodeJS.ErrnoException): boolean {
  const text = `${err.code ?? ''} ${err.message}`;
  return /wrong version number|packet length too long|unknown protocol/i.test(text) ||
    err.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || err.code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG';
}

export class HttpClient {
  private base: URL;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly httpsAgent: https.Agent;
  /** settles once the first answer told us which scheme the server speaks */
  private schemeKnown: Promise<void> | null = null;

  constructor(
    private readonly address: ServerAddress,
    private readonly trust: TlsTrust,
    private readonly credentials?: Credentials,
    private readonly warn: (message: string) => void = () => {},
  ) {
    this.base = address.base;
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 8, ...this.tlsOptions() });
  }

  /** The server as messages show it (after any fallback to http). */
  get server(): string {
    return describeServer(this.base);
  }

  /** what authenticates the requests, for messages (never the secret itself) */
  get credentialKind(): Credentials['kind'] | undefined {
    return this.credentials?.kind;
  }

  get user(): string | undefined {
    return this.credentials?.user;
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    try {
      if (!this.schemeKnown) {
        const first = this.sendWithFallback(request);
        this.schemeKnown = first.then(
          () => undefined,
          () => undefined,
        );
        return await first;
      }
      await this.schemeKnown;
      return await this.send(this.base, request);
    } catch (err) {
      throw this.explain(err as NodeJS.ErrnoException, request.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    }
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async sendWithFallback(request: HttpRequest): Promise<HttpResponse> {
    try {
      return await this.send(this.base, request);
    } catch (err) {
      const error = err as NodeJS.ErrnoException;
      if (this.base.protocol === 'https:' && this.address.mayFallBackToHttp && peerSpeaksPlainHttp(error)) {
        // the handshake failed before anything was sent, so repeating a POST here is safe
        this.base = asPlainHttp(this.base);
        if (!isLoopback(this.base.hostname)) {
          // anyone in the path can answer in plain HTTP: say that this connection is not encrypted
          this.warn(`${this.address.base.host} does not speak TLS: using plain HTTP, so ${this.credentials ? 'the credentials and ' : ''}the data travel unencrypted (--server https://… refuses plain HTTP)`);
        }
        return this.send(this.base, request);
      }
      throw err;
    }
  }

  private tlsOptions(): https.AgentOptions {
    return {
      rejectUnauthorized: this.trust.rejectUnauthorized,
      ...(this.trust.ca ? { ca: this.trust.ca } : {}),
      ...(this.trust.checkServerIdentity ? { checkServerIdentity: this.trust.checkServerIdentity } : {}),
    };
  }

  private send(base: URL, request: HttpRequest): Promise<HttpResponse> {
    const url = new URL(request.path, base);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const body = request.json === undefined ? undefined : Buffer.from(JSON.stringify(request.json));
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'patch-tracking-cli' };
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(body.length);
    }
    if (this.credentials) headers.authorization = this.credentials.header;
    const secure = url.protocol === 'https:';
    const options: https.RequestOptions = {
      method: request.method,
      headers,
      agent: secure ? this.httpsAgent : this.httpAgent,
      timeout: request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(secure ? this.tlsOptions() : {}),
    };
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(url, options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(operationError(`the answer of ${this.server} is larger than ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => reject(err));
      req.end(body);
    });
  }

  /** A connection failure as a sentence the user can act on (never the URL's query, never credentials). */
  private explain(err: NodeJS.ErrnoException, timeoutMs: number): Error {
    if (!(err instanceof Error) || err.name === 'CliError') return err;
    const url = this.base;
    const server = describeServer(url);
    const code = err.code ?? '';
    if (url.protocol === 'https:' && peerSpeaksPlainHttp(err)) {
      // reached only when no fallback applies (an explicit https:// URL)
      const plain = asPlainHttp(url);
      return new ConnectionError(`${server} does not speak TLS (it answered in plain HTTP); use --server ${url.host} or --server ${describeServer(plain)}`);
    }
    if (CERTIFICATE_ERRORS.has(code) || /certificate/i.test(err.message)) {
      const trusted = this.trust.source ? ` (also trusted: ${this.trust.source})` : '';
      return new ConnectionError(
        `the TLS certificate of ${server} is not trusted: ${err.message}${trusted}. ` +
          'Pass --ca FILE with the server\'s certificate (its TLS_CERT) or set PATCH_TRACKING_CA; --insecure skips the check.',
      );
    }
    switch (code) {
      case 'ECONNREFUSED':
        return new ConnectionError(`cannot connect to ${server}: connection refused (is the service running and listening there?)`);
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return new ConnectionError(`cannot connect to ${server}: unknown host ${url.hostname}`);
      case 'ETIMEDOUT':
        return new ConnectionError(`no answer from ${server} within ${Math.round(timeoutMs / 1000)} s`);
      case 'ECONNRESET':
      case 'EPIPE':
        return new ConnectionError(
          `${server} closed the connection` + (url.protocol === 'http:' ? ' (if it speaks https, use --server https://… or the bare host:port form)' : ''),
        );
      default:
        return new ConnectionError(`cannot talk to ${server}: ${err.message}`);
    }
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
