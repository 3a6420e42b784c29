/**
 * Builds the Octokit the GitHub adapters use: @octokit/plugin-retry retries what may be replayed,
 * @octokit/plugin-throttling waits out rate limits and paces writes (as Probot's Octokit does); maps
 * Octokit's errors to the forge AppError codes.
 */
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck';
import { AppError } from '../errors.js';
import { redactSecrets } from '../log.js';
import { forgeHttpError, isRateLimited, mayReplay, neverSent, realSleep, type Sleep } from './http.js';

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

export interface ResilienceOptions {
  retry?: {
    /** retries after the first attempt, for failures and for rate limits alike */
    retries?: number;
    /** plugin-retry waits this × n² before retry n */
    retryAfterBaseMs?: number;
    /** longest we will wait for a rate limit to reset before giving up with forge_rate_limited */
    maxRateLimitWaitMs?: number;
  };
  /** gap between content-creating requests from this token; GitHub asks for at least 1 s */
  minWriteIntervalMs?: number;
  /** how rate-limit waits are spent */
  sleep?: Sleep;
}

export interface GitHubOctokitOptions extends ResilienceOptions {
  /** GITHUB_ACCESS_TOKEN */
  token: string;
  /** GITHUB_API_URL, e.g. https://ghe.example.com/api/v3 for GitHub Enterprise Server */
  apiUrl?: string;
  /** per-request timeout */
  timeoutMs?: number;
}

/**
 * Runs first on a failed request (registered before plugin-retry): a POST/PATCH that may have been applied
 * is not replayed unless the call passed `request: { retrySafe: true }`, so a lost answer never opens a
 * second issue or PR. GraphQL here only reads.
 */
function replayPolicy(octokit: Pick<Octokit, 'hook'>): void {
  octokit.hook.error('request', (error, options) => {
    const graphql = String(options.url).endsWith('/graphql');
    if (!graphql && !mayReplay(String(options.method), options.request?.retrySafe) && !neverSent(error)) {
      options.request = { ...options.request, retries: 0 };
    }
    throw error;
  });
}

const ResilientOctokit = Octokit.plugin(replayPolicy, retry, throttling);

/** A token-authenticated Octokit with timeouts, retries, rate-limit waits and write pacing. */
export function createGitHubOctokit(options: GitHubOctokitOptions): Octokit {
  if (!options.token) throw new AppError('forge_token_missing', 'GITHUB_ACCESS_TOKEN is not set');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retries = options.retry?.retries ?? 4;
  const maxWaitMs = options.retry?.maxRateLimitWaitMs ?? 120_000;
  const sleep = options.sleep ?? realSleep;
  const interval = options.minWriteIntervalMs ?? 1000;
  // the handler spends the wait itself (so it can refuse a long one), and the plugin then retries at once
  const waitOut = async (retryAfterSeconds: number, retryCount: number): Promise<boolean> => {
    const ms = retryAfterSeconds * 1000;
    if (retryCount >= retries || ms > maxWaitMs) return false;
    await sleep(ms);
    return true;
  };
  return new ResilientOctokit({
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
    // 429 joins the plugin's list: a rate limit is the throttling plugin's to wait out, not a failure to retry
    retry: { retries, retryAfterBaseValue: options.retry?.retryAfterBaseMs ?? 1000, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
    throttle: {
      retryAfterBaseValue: 0,
      // this token's own queues: the plugin's shared defaults would pace every Octokit in the process as one
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: interval }),
      notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: interval }),
      onRateLimit: (retryAfter, _options, _octokit, retryCount) => waitOut(retryAfter, retryCount),
      onSecondaryRateLimit: (retryAfter, _options, _octokit, retryCount) => waitOut(retryAfter, retryCount),
    },
  });
}

interface OctokitErrorShape {
  status?: number;
  message?: string;
  cause?: { name?: string; code?: string; cause?: { code?: string } };
  response?: { headers?: Record<string, string | undefined>; data?: unknown };
  request?: { method?: string; url?: string };
}

function isGitHubRateLimit(status: number, headers: Record<string, string | undefined>, data: unknown): boolean {
  if (isRateLimited(status, headers)) return true;
  // a secondary limit may come as a bare 403 that only its message tells apart
  const message = typeof data === 'object' && data !== null ? (data as { message?: unknown }).message : data;
  return status === 403 && typeof message === 'string' && /rate limit/i.test(message);
}

/** Octokit error → AppError (forge_timeout, forge_rate_limited, forge_auth, forge_not_found, forge_http). */
export function githubError(err: unknown, secrets: readonly string[] = []): AppError {
  if (err instanceof AppError) return err;
  const e = err as OctokitErrorShape;
  const what = redactSecrets(`${e.request?.method ?? 'request'} ${e.request?.url ?? ''}`.trim(), secrets);
  if (!e.response) {
    if (e.cause?.name === 'TimeoutError' || (err as { name?: string })?.name === 'TimeoutError') {
      return new AppError('forge_timeout', `${what} timed out`, { status: 504, cause: undefined });
    }
    return new AppError('forge_http', redactSecrets(`${what} failed: ${e.message ?? String(err)}`, secrets), { status: 502 });
  }
  const status = e.status ?? 0;
  const headers = e.response.headers ?? {};
  if (isGitHubRateLimit(status, headers, e.response.data)) {
    return new AppError('forge_rate_limited', redactSecrets(`${what} failed: HTTP ${status} ${e.message ?? ''}`.trim(), secrets), { status });
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
