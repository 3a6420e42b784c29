/**
 * HTTP to a forge without an SDK (Gitee): per-attempt timeout, retries with exponential backoff and jitter,
 * rate-limit waits, and errors that never carry a token. The rules both forges share (what may be replayed,
 * how a failure maps to an AppError) live here too; GitHub's transport is Octokit with its plugins (octokit.ts).
 */
import { AppError } from '../errors.js';
import { redactSecrets } from '../log.js';

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RetryPolicy {
  /** retries after the first attempt */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** longest we will wait for a rate limit to reset before giving up with forge_rate_limited */
  maxRateLimitWaitMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  retries: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRateLimitWaitMs: 120_000,
};

export interface HttpClientOptions {
  /** per-attempt timeout */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** literal secret values (tokens) to scrub from any error text, on top of the pattern-based redaction */
  secrets?: string[];
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  sleep?: Sleep;
  now?: () => number;
  random?: () => number;
}

export type QueryValue = string | number | boolean | undefined;

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** sent as JSON */
  json?: unknown;
  /**
   * POST/PATCH are retried after an ambiguous failure (timeout, reset connection, 5xx) only when the caller
   * says a replay is harmless. The publish pipeline can say so because it looks for its earlier result by a
   * deterministic branch name or a hidden marker before each write; a blind replay here would open a second
   * issue or PR while the first attempt may well have been applied.
   */
  retrySafe?: boolean;
  responseType?: 'json' | 'text';
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  data: T;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

/**
 * Whether a request may be sent again after an ambiguous failure (timeout, reset connection, 5xx): idempotent
 * methods always, POST/PATCH only when the caller says a replay cannot create a visible duplicate.
 */
export function mayReplay(method: string, retrySafe: boolean | undefined): boolean {
  return IDEMPOTENT.has(method.toUpperCase()) || retrySafe === true;
}

export function isRateLimited(status: number, headers: Headers | Record<string, string | undefined>): boolean {
  if (status === 429) return true;
  if (status !== 403) return false;
  const get = headerGetter(headers);
  return get('retry-after') !== undefined || get('x-ratelimit-remaining') === '0';
}

/**
 * How long to wait before retrying a rate-limited response: `Retry-After` (seconds or an HTTP date) first,
 * then `x-ratelimit-reset` (epoch seconds) when the remaining budget is 0; undefined when neither says.
 */
export function rateLimitWaitMs(headers: Headers | Record<string, string | undefined>, now: number): number | undefined {
  const get = headerGetter(headers);
  const retryAfter = get('retry-after');
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = Number(get('x-ratelimit-reset'));
  if (get('x-ratelimit-remaining') === '0' && Number.isFinite(reset) && reset > 0) {
    // one extra second: the reset time is whole seconds and clocks drift
    return Math.max(0, reset * 1000 - now) + 1000;
  }
  return undefined;
}

function headerGetter(headers: Headers | Record<string, string | undefined>): (name: string) => string | undefined {
  if (headers instanceof Headers) return (name) => headers.get(name) ?? undefined;
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => lower.get(name) ?? undefined;
}

export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  // full jitter keeps replicas that failed together from retrying in lockstep
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Maps a forge's HTTP failure to the AppError codes the rest of the service understands. */
export function forgeHttpError(
  status: number,
  headers: Headers | Record<string, string | undefined>,
  what: string,
  detail: string,
  secrets: readonly string[] = [],
): AppError {
  const message = redactSecrets(`${what} failed: HTTP ${status}${detail ? ` ${truncate(detail, 300)}` : ''}`, secrets);
  if (isRateLimited(status, headers)) return new AppError('forge_rate_limited', message, { status });
  if (status === 401 || status === 403) return new AppError('forge_auth', message, { status });
  if (status === 404) return new AppError('forge_not_found', message, { status });
  return new AppError('forge_http', message, { status });
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** A network failure that happened before the request could reach the server, so replaying it is harmless. */
export function neverSent(err: unknown): boolean {
  // the code sits on the error or on a cause: fetch wraps it once, Octokit once more
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return true;
  }
  return false;
}

/**
 * Remembers an exhausted budget (`x-ratelimit-remaining: 0` on a successful answer) so the next request waits
 * for `x-ratelimit-reset` instead of being refused and counted against the token.
 */
export class RateLimitGate {
  private blockedUntil = 0;

  constructor(
    private readonly policy: Pick<RetryPolicy, 'maxRateLimitWaitMs'>,
    private readonly sleep: Sleep,
    private readonly now: () => number,
  ) {}

  note(headers: Headers | Record<string, string | undefined>): void {
    const get = headerGetter(headers);
    if (get('x-ratelimit-remaining') !== '0') return;
    const wait = rateLimitWaitMs({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': get('x-ratelimit-reset') }, this.now());
    if (wait !== undefined) this.blockedUntil = this.now() + wait;
  }

  async pass(what: string): Promise<void> {
    const wait = this.blockedUntil - this.now();
    if (wait <= 0) return;
    if (wait > this.policy.maxRateLimitWaitMs) {
      const at = new Date(this.blockedUntil).toISOString();
      throw new AppError('forge_rate_limited', `${what} not sent: the rate limit is exhausted until ${at}`, { status: 429 });
    }
    await this.sleep(wait);
  }
}

export class HttpClient {
  private readonly gate: RateLimitGate;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly secrets: string[];
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: Sleep;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: HttpClientOptions = {}) {
    this.policy = { ...defaultRetryPolicy, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.secrets = options.secrets ?? [];
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.gate = new RateLimitGate(this.policy, this.sleep, this.now);
  }

  async request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>> {
    const url = buildUrl(req.url, req.query);
    const what = redactSecrets(`${req.method} ${url}`, this.secrets);
    const replayable = mayReplay(req.method, req.retrySafe);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.options.headers,
      ...req.headers,
    };
    let body: string | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json;charset=UTF-8';
      body = JSON.stringify(req.json);
    }

    for (let attempt = 0; ; attempt++) {
      const retriesLeft = attempt < this.policy.retries;
      let response: Response;
      await this.gate.pass(what);
      try {
        response = await this.fetchImpl(url, {
          method: req.method,
          headers,
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        const timedOut = (err as { name?: string })?.name === 'TimeoutError';
        if (retriesLeft && (replayable || neverSent(err))) {
          await this.sleep(backoffMs(attempt, this.policy, this.random));
          continue;
        }
        if (timedOut) {
          throw new AppError('forge_timeout', `${what} timed out after ${this.timeoutMs} ms`, { status: 504 });
        }
        const reason = redactSecrets((err as { cause?: Error })?.cause?.message ?? (err as Error)?.message ?? String(err), this.secrets);
        throw new AppError('forge_http', `${what} failed: ${reason}`, { status: 502 });
      }

      this.gate.note(response.headers);
      if (response.ok) {
        let data: T;
        try {
          data = (await readBody(response, req.responseType ?? 'json')) as T;
        } catch (err) {
          if (err instanceof AppError) throw err;
          // the timeout also covers reading the body: a stalled download must not hang a scan
          const timedOut = (err as { name?: string })?.name === 'TimeoutError';
          if (timedOut) throw new AppError('forge_timeout', `${what} timed out after ${this.timeoutMs} ms`, { status: 504 });
          throw new AppError('forge_http', redactSecrets(`${what} failed while reading the answer: ${(err as Error)?.message}`, this.secrets), {
            status: 502,
          });
        }
        return { status: response.status, headers: response.headers, data };
      }

      const detail = await response.text().catch(() => '');
      const rateLimited = isRateLimited(response.status, response.headers);
      if (retriesLeft && rateLimited) {
        // a rate-limited request was refused, not applied: replaying it is safe whatever the method
        const wait = rateLimitWaitMs(response.headers, this.now()) ?? backoffMs(attempt, this.policy, this.random);
        if (wait <= this.policy.maxRateLimitWaitMs) {
          await this.sleep(wait);
          continue;
        }
      }
      if (retriesLeft && replayable && response.status >= 500) {
        const hinted = rateLimitWaitMs(response.headers, this.now());
        const wait = hinted === undefined ? backoffMs(attempt, this.policy, this.random) : hinted;
        await this.sleep(Math.min(wait, this.policy.maxRateLimitWaitMs));
        continue;
      }
      throw forgeHttpError(response.status, response.headers, what, forgeMessage(detail), this.secrets);
    }
  }
}

function forgeMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: use the text itself
  }
  return body;
}

async function readBody(response: Response, type: 'json' | 'text'): Promise<unknown> {
  const text = await response.text();
  if (type === 'text') return text;
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('forge_http', `forge answered ${response.status} with a body that is not JSON`, { status: 502 });
  }
}

export function buildUrl(base: string, query: Record<string, QueryValue> | undefined): string {
  if (!query) return base;
  const url = new URL(base);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url.toString();
}
