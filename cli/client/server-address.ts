/**
 * `--server` as the old CLI took it (`host:port`, always spoken to over https) or as a full http(s) URL.
 * A bare address may fall back to plain HTTP, but only when the server turns out not to speak TLS at all.
 */
import { usageError } from './errors.js';

export interface ServerAddress {
  /** the URL to try first */
  base: URL;
  /** true for the old `host:port` form: a server that answers TLS with plain HTTP may be retried over http */
  mayFallBackToHttp: boolean;
}

export function parseServerAddress(value: string): ServerAddress {
  const text = value.trim();
  if (!text) throw usageError('--server: expected host:port or an http(s):// URL');
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  let url: URL;
  try {
    url = new URL(hasScheme ? text : `https://${text}`);
  } catch {
    throw usageError(`--server: not a valid address: ${text} (expected host:port or an http(s):// URL)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`--server: unsupported scheme ${url.protocol} (use http:// or https://)`);
  if (url.username || url.password) throw usageError('--server: do not put credentials in the URL; use --user/--password or --token');
  if (url.search || url.hash) throw usageError('--server: the URL must not have a query or fragment');
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return { base: url, mayFallBackToHttp: !hasScheme };
}

/** The same address spoken to over plain HTTP (same host and port). */
export function asPlainHttp(base: URL): URL {
  const url = new URL(base.href);
  const port = url.port || '443';
  url.protocol = 'http:';
  url.port = port;
  return url;
}

/** How an address is shown in messages: host:port for the old form, the URL otherwise. */
export function describeServer(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}
