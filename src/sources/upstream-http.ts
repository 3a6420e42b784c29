/**
 * A plain HTTP GET of a file next to a user-given upstream (a public-inbox manifest), under the same upstream
 * policy as git: checked right before connecting, connecting only to the addresses just checked, no redirects
 * followed, credentials in the URL sent as a header and never logged.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { publicUrl, splitHttpCredentials } from './git-url.js';
import { couldNotFetch, type ResolvedAddress, type UpstreamPolicy } from './upstream-policy.js';

export interface UpstreamFile {
  status: number;
  /** the body of a 200 answer (empty otherwise) */
  body: Buffer;
}

export interface UpstreamGetOptions {
  field: string;
  logger?: Logger | undefined;
  /** a bigger body is refused */
  maxBytes: number;
  timeoutMs?: number;
}

/** GETs `url` (http or https). A non-200 status is returned as is; a network failure throws `upstream_error`. */
export async function getFromUpstream(policy: UpstreamPolicy, url: string, options: UpstreamGetOptions): Promise<UpstreamFile> {
  if (!/^https?:\/\//i.test(url)) throw new AppError('invalid_git_url', `${options.field}: ${publicUrl(url)} is not an http(s) URL`, { field: options.field });
  const access = await policy.check(url, options.field, { beforeFetch: true });
  const { url: bare, authorization } = splitHttpCredentials(url);
  const target = new URL(bare);
  const client = target.protocol === 'https:' ? https : http;
  try {
    return await new Promise<UpstreamFile>((resolve, reject) => {
      const req = client.get(
        target,
        {
          headers: { 'user-agent': 'patch-tracking', ...(authorization ? { authorization } : {}) },
          timeout: options.timeoutMs ?? 60_000,
          ...(access.addresses ? { lookup: pinnedLookup(access.addresses) } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status !== 200) {
            res.resume();
            resolve({ status, body: Buffer.alloc(0) });
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > options.maxBytes) {
              req.destroy(new Error(`the answer is larger than ${options.maxBytes} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => resolve({ status, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
    });
  } catch (err) {
    options.logger?.warn({ upstream: publicUrl(url), err: err instanceof Error ? err.message : String(err) }, 'could not fetch the upstream');
    throw new AppError('upstream_error', couldNotFetch(url));
  }
}

/** A DNS lookup that answers only the addresses the policy checked (a rebinding between check and connect is useless). */
function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return (_host, options, callback) => {
    const usable = addresses.filter((a) => !options.family || a.family === options.family);
    if (!usable.length) {
      callback(Object.assign(new Error('no checked address of the requested family'), { code: 'ENOTFOUND' }), '', 0);
      return;
    }
    if (options.all) (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, usable);
    else callback(null, usable[0]!.address, usable[0]!.family);
  };
}
