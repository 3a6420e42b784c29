/**
 * Builds the Octokit the GitHub adapters use and gives any Octokit the same retry, rate-limit and pacing
 * behaviour as the Gitee HttpClient; maps Octokit's errors to the forge AppError codes.
 */
import { Octokit } from '@octokit/rest';
import { AppError } from '../errors.js';
import {
  backoffMs,
  defaultRetryPolicy,
  forgeHttpError,
  RateLimitGate,
  rateLimitWaitMs,
  realSleep,
  redact,
  WritePacer,
  type RetryPolicy,
  type Sleep,
} from './http.js';

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

export interface ResilienceOptions {
  retry?: Partial<RetryPolicy>;
  /** gap between content-creating requests from this token; GitHub asks for at least 1 s */
  minWriteIntervalMs?: number;
  sleep?: Sleep;
  now?: () => number;
  random?: () => number;
}

export interface GitHubOctokitOptions extends ResilienceOptions {
  /** GITHUB_ACCESS_TOKEN */
  token: string;
  /** GITHUB_API_URL, e.g. https://ghe.example.com/api/v3 for GitHub Enterprise Server */
  apiUrl?: string;
  /** per-request timeout */
  timeoutMs?: number;
}

/** A token-authenticated Octokit with timeouts, retries, rate-limit waits and write pacing. */
export function createGitHubOctokit(options: GitHubOctokitOptions): Octokit {
  if (!options.token) throw new AppError('forge_token_missing', 'GITHUB_ACCESS_TOKEN is not set');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const octokit = new Octokit({
    auth: options.token,
    baseUrl: (options.apiUrl ?? DEFAULT_GITHUB_API_URL).replace(/\/+$/, ''),
    userAgent: 'patch-tracking',
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    request: {
      fetch: (url: string | URL, init?: RequestInit) => {
        const timeout = AbortSignal.timeout(timeoutMs);
        const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
        return globalThis.fetch(url, { ...init, signal });
      },
    },
  });
  installResilience(octokit, options);
  return octokit;
}

interface OctokitErrorShape {
  status?: number;
  message?: string;
  cause?: { name?: string; code?: string; cause?: { code?: string } };
  response?: { headers?: Record<string, string | undefined>; data?: unknown };
  request?: { method?: string; url?: string };
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

/**
 * Adds retries to an Octokit (use it on a plain installation Octokit; Probot's already has its own retry and
 * throttling plugins). POST/PATCH replays after an ambiguous failure only when the call passes
 * `request: { retrySafe: true }`: the caller knows a replay cannot create a visible duplicate.
 */
export function installResilience(octokit: Octokit, options: ResilienceOptions = {}): void {
  const policy = { ...defaultRetryPolicy, ...options.retry };
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const pacer = new WritePacer(options.minWriteIntervalMs ?? 1000, sleep, now);
  const gate = new RateLimitGate(policy, sleep, now);

  octokit.hook.wrap('request', async (request, requestOptions) => {
    const method = String(requestOptions.method ?? 'GET').toUpperCase();
    const isGraphql = String(requestOptions.url).endsWith('/graphql');
    const contentCreating = !IDEMPOTENT.has(method) && !isGraphql;
    const retrySafe = IDEMPOTENT.has(method) || isGraphql || requestOptions.request?.retrySafe === true;
    for (let attempt = 0; ; attempt++) {
      if (contentCreating || method === 'PUT' || method === 'DELETE') await pacer.turn();
      await gate.pass(redact(`${method} ${String(requestOptions.url)}`));
      try {
        const response = await request(requestOptions);
        gate.note(response.headers as Record<string, string | undefined>);
        return response;
      } catch (err) {
        const e = err as OctokitErrorShape;
        if (e.response?.headers) gate.note(e.response.headers);
        if (attempt >= policy.retries) throw err;
        const headers = e.response?.headers ?? {};
        if (!e.response) {
          if (retrySafe || neverSent(e)) {
            await sleep(backoffMs(attempt, policy, random));
            continue;
          }
          throw err;
        }
        const status = e.status ?? 0;
        if (isGitHubRateLimit(status, headers, e.response.data)) {
          // secondary limits without a Retry-After: GitHub documents waiting at least a minute
          const wait = rateLimitWaitMs(headers, now()) ?? 60_000;
          if (wait > policy.maxRateLimitWaitMs) throw err;
          await sleep(wait);
          continue;
        }
        if (status >= 500 && retrySafe) {
          await sleep(backoffMs(attempt, policy, random));
          continue;
        }
        throw err;
      }
    }
  });
}

function neverSent(e: OctokitErrorShape): boolean {
  const code = e.cause?.cause?.code ?? e.cause?.code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
}

function isGitHubRateLimit(status: number, headers: Record<string, string | undefined>, data: unknown): boolean {
  if (status === 429) return true;
  if (status !== 403) return false;
  if (headers['retry-after'] !== undefined || headers['x-ratelimit-remaining'] === '0') return true;
  const message = typeof data === 'object' && data !== null ? (data as { message?: unknown }).message : data;
  return typeof message === 'string' && /rate limit/i.test(message);
}

/** Octokit error → AppError (forge_timeout, forge_rate_limited, forge_auth, forge_not_found, forge_http). */
export function githubError(err: unknown, secrets: readonly string[] = []): AppError {
  if (err instanceof AppError) return err;
  const e = err as OctokitErrorShape;
  const what = redact(`${e.request?.method ?? 'request'} ${e.request?.url ?? ''}`.trim(), secrets);
  if (!e.response) {
    if (e.cause?.name === 'TimeoutError' || (err as { name?: string })?.name === 'TimeoutError') {
      return new AppError('forge_timeout', `${what} timed out`);
    }
    return new AppError('forge_http', redact(`${what} failed: ${e.message ?? String(err)}`, secrets));
  }
  const status = e.status ?? 0;
  const headers = e.response.headers ?? {};
  if (isGitHubRateLimit(status, headers, e.response.data)) {
    return new AppError('forge_rate_limited', redact(`${what} failed: HTTP ${status} ${e.message ?? ''}`.trim(), secrets), { upstreamStatus: status });
  }
  return forgeHttpError(status, headers, what, e.message ?? '', secrets);
}

/** Runs an Octokit call, turning its failures into AppErrors. */
export async function gh<T>(call: () => Promise<T>, secrets: readonly string[] = []): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw githubError(err, secrets);
  }
}
