/**
 * Which upstream URLs the service may read because a user gave them (a tracking's `scm_repo`, a mailing-list
 * project's `scm_url`). A token holder must not be able to make the server read its own files (a local path,
 * `file://`, another tracking's mirror) or reach hosts only the server can reach (loopback, the private
 * network, link-local such as the cloud metadata address 169.254.169.254). As GitLab ("Allow requests to the
 * local network") and Gitea (`ALLOW_LOCALNETWORKS`) do for import URLs, those are refused unless the admin
 * allows them: ALLOW_LOCAL_UPSTREAMS allows everything, UPSTREAM_ALLOW_HOSTS names hosts or address ranges.
 *
 * The rule is checked when the URL is given (add/update) and again right before every git command that
 * reaches the upstream, because DNS answers change. For http(s), git is then told to connect only to the
 * addresses just checked (curl's resolve list), and for git:// it connects through a proxy that connects to
 * those addresses only (git-proxy.ts), so a DNS rebinding between check and connect is useless; redirects
 * (which could lead anywhere) are not followed. ssh is checked but not pinned: ssh resolves the name again.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { AppError, errorMessage } from '../errors.js';
import { isLocalTarget } from '../forges/local.js';
import type { Logger } from '../log.js';
import { pinnedGitProxy, PINNED_ADDRESSES_ENV } from './git-proxy.js';
import { GitCommandError } from './git-run.js';
import { publicUrl, splitHttpCredentials } from './git-url.js';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export interface UpstreamPolicyOptions {
  /** ALLOW_LOCAL_UPSTREAMS: local paths, file:// and every address are allowed (tests, offline trials) */
  allowLocal: boolean;
  /** UPSTREAM_ALLOW_HOSTS: host names (exact, any case) and IP addresses or CIDR ranges that are allowed */
  allowHosts?: readonly string[];
  /** DNS, replaceable so tests can make a name resolve to anything without a network */
  resolve?: Resolver;
  /** DATA_DIR: where the git:// proxy is written (a private temporary folder without it) */
  dataDir?: string;
}

/** What git needs to reach a checked upstream: the allowed transports and `-c` settings. */
export interface GitAccess {
  /** GIT_ALLOW_PROTOCOL */
  protocols: string;
  /** `-c key=value` pairs, in order, for the git command line */
  config: string[];
  /** http(s) with the policy on: the addresses just checked, the only ones a client may connect to */
  addresses?: ResolvedAddress[];
  /** environment for git (git:// with the policy on: the checked addresses, for the proxy) */
  env?: Record<string, string>;
}

/** Transports git may use for a user's URL when local access is refused (no `file`, no `ext::`). */
const NETWORK_PROTOCOLS = 'https:http:ssh:git';
/** With local upstreams allowed, local repositories are read too. */
const ALL_PROTOCOLS = `${NETWORK_PROTOCOLS}:file`;

const REFUSED_CODE = 'upstream_refused';
const HOW_TO_ALLOW = 'an administrator can allow it with ALLOW_LOCAL_UPSTREAMS or UPSTREAM_ALLOW_HOSTS';

const systemResolver: Resolver = async (host) => dnsLookup(host, { all: true, verbatim: true });

/** A host name or address range from UPSTREAM_ALLOW_HOSTS; null when it is neither. */
export function parseAllowedHost(entry: string): { name: string } | { range: [ipaddr.IPv4 | ipaddr.IPv6, number] } | null {
  const text = entry.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (text.includes('/')) {
    try {
      return { range: ipaddr.parseCIDR(text) };
    } catch {
      return null;
    }
  }
  if (ipaddr.isValid(text)) {
    const address = ipaddr.process(text);
    return { range: [address, address.kind() === 'ipv4' ? 32 : 128] };
  }
  return /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/.test(text) ? { name: text.replace(/\.$/, '') } : null;
}

/** Where a git URL leads: a local path, or a host (and port, for http(s)) on the network. */
export type UpstreamTarget =
  | { kind: 'local' }
  | { kind: 'remote'; scheme: 'https' | 'http' | 'ssh' | 'git'; host: string; port: number | undefined };

/**
 * Reads a git URL the way git does: `scheme://…`, scp-like `[user@]host:path` (a colon before any slash), or
 * else a local path. The host is normalized as a browser would (`2130706433`, `0x7f.1` and `127.1` are all
 * 127.0.0.1; `[::ffff:127.0.0.1]` is an IPv6 literal), so no spelling of an address escapes the check.
 */
export function upstreamTarget(url: string): UpstreamTarget {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'file') return { kind: 'local' };
  if (scheme === 'https' || scheme === 'http' || scheme === 'ssh' || scheme === 'git') {
    const authority = url.slice(scheme.length + 3).split(/[/?#]/, 1)[0] ?? '';
    const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
    const { host, port } = normalizeHost(hostPort);
    return { kind: 'remote', scheme, host, port };
  }
  if (scheme !== undefined) return { kind: 'local' }; // assertGitUrl refuses other transports before this
  // scp-like syntax: git reads `host:path` as ssh only when the colon comes before any slash
  const scp = /^(?:[^@/]*@)?(\[[^\]]*\]|[^:/]+):/.exec(url);
  if (scp) return { kind: 'remote', scheme: 'ssh', host: normalizeHost(scp[1]!).host, port: undefined };
  return { kind: 'local' };
}

function normalizeHost(hostPort: string): { host: string; port: number | undefined } {
  try {
    const parsed = new URL(`http://${hostPort}/`);
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
    return { host, port: parsed.port === '' ? undefined : Number(parsed.port) };
  } catch {
    // not a host the URL parser accepts: keep it as written, so the check still sees it (and refuses it)
    return { host: hostPort.toLowerCase(), port: undefined };
  }
}

/** Only public unicast addresses are reachable by default; IPv4-mapped IPv6 is judged as the IPv4 it holds. */
function isPublicAddress(address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  return address.range() === 'unicast';
}

function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  return ipaddr.isValid(text) ? ipaddr.process(text) : null;
}

export class UpstreamPolicy {
  readonly allowLocal: boolean;
  private readonly names = new Set<string>();
  private readonly ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  private readonly resolve: Resolver;
  private readonly dataDir: string | undefined;

  constructor(options: UpstreamPolicyOptions) {
    this.allowLocal = options.allowLocal;
    this.resolve = options.resolve ?? systemResolver;
    this.dataDir = options.dataDir;
    for (const entry of options.allowHosts ?? []) {
      const parsed = parseAllowedHost(entry);
      if (!parsed) throw new AppError('settings_invalid', `UPSTREAM_ALLOW_HOSTS: not a host name, IP address or CIDR range: ${entry}`);
      if ('name' in parsed) this.names.add(parsed.name);
      else this.ranges.push(parsed.range);
    }
  }

  /** The policy the settings describe. */
  static fromSettings(settings: { allowLocalUpstreams: boolean; upstreamAllowHosts: readonly string[]; dataDir?: string }, resolve?: Resolver): UpstreamPolicy {
    return new UpstreamPolicy({ allowLocal: settings.allowLocalUpstreams, allowHosts: settings.upstreamAllowHosts, resolve, dataDir: settings.dataDir });
  }

  /**
   * Throws AppError('upstream_refused', naming `field`) unless the service may read `url`; resolves the
   * host and checks every address. Returns what git needs to reach exactly the addresses checked.
   * A name that does not resolve is accepted when the URL is given (the upstream may be down for now) but
   * not right before git runs (`beforeFetch`): git would resolve it again and might get another answer.
   */
  async check(url: string, field = 'scm_repo', options: { beforeFetch?: boolean } = {}): Promise<GitAccess> {
    if (this.allowLocal) return { protocols: ALL_PROTOCOLS, config: [] };
    const target = upstreamTarget(url);
    const refuse = (why: string): never => {
      throw new AppError(REFUSED_CODE, `${field} ${JSON.stringify(publicUrl(url))} is not allowed: ${why}; ${HOW_TO_ALLOW}`, { field });
    };
    if (target.kind === 'local') return refuse('the service does not read local paths or file:// URLs');
    const access: GitAccess = {
      protocols: NETWORK_PROTOCOLS,
      // redirects and http-alternates could lead to any host, past the check below
      config: ['protocol.file.allow=never', 'http.followRedirects=false'],
    };
    const { host } = target;
    if (this.names.has(host)) return access;
    const literal = parseAddress(host);
    if (literal) {
      if (!this.allows(literal)) refuse('it is a loopback, private-network or link-local address');
      return access;
    }
    if (host === 'localhost' || host.endsWith('.localhost')) refuse('it names this machine');
    let addresses: ResolvedAddress[];
    try {
      addresses = await this.resolve(host);
    } catch (err) {
      if (!options.beforeFetch) return access;
      throw new AppError('upstream_error', couldNotFetch(url), { cause: err });
    }
    const parsed = addresses.map((a) => parseAddress(a.address));
    if (parsed.length === 0 || parsed.some((a) => a === null || !this.allows(a))) {
      refuse('its host resolves to a loopback, private-network or link-local address');
    }
    if (target.scheme === 'https' || target.scheme === 'http') {
      // curl connects to these addresses and no others, whatever DNS answers a moment later
      const port = target.port ?? (target.scheme === 'https' ? 443 : 80);
      const list = parsed.map((a) => (a!.kind() === 'ipv6' ? `[${a!.toString()}]` : a!.toString())).join(',');
      access.config.push(`http.curloptResolve=${host}:${port}:${list}`);
      access.addresses = addresses;
    } else if (target.scheme === 'git') {
      // git connects through our proxy, which connects to these addresses only (src/sources/git-proxy.ts)
      access.config.push(`core.gitProxy=${pinnedGitProxy(this.dataDir)}`);
      access.env = { [PINNED_ADDRESSES_ENV]: parsed.map((a) => a!.toString()).join(',') };
    }
    return access;
  }

  private allows(address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
    if (isPublicAddress(address)) return true;
    return this.ranges.some(([base, bits]) => base.kind() === address.kind() && address.match(base, bits));
  }
}

/** The one message API callers get for any failure to reach an upstream: it must not tell a closed port from a TLS error. */
export function couldNotFetch(url: string): string {
  return `could not fetch the upstream ${publicUrl(url)} (the service log has the details)`;
}

/**
 * The rule for a tracking being added or changed: a `git` upstream is a URL the service fetches itself, and
 * a local target (`repo`, read by dry runs) is a path on the server, which is local access like any other.
 */
export async function assertUpstreamAllowed(policy: UpstreamPolicy, input: { versionControl: string; scmRepo: string; repo?: string }): Promise<void> {
  if (input.versionControl === 'git') await policy.check(input.scmRepo, 'scm_repo');
  if (input.repo !== undefined && !policy.allowLocal && isLocalTarget(input.repo)) {
    throw new AppError(REFUSED_CODE, `repo ${JSON.stringify(input.repo)} is not allowed: the service does not read local repositories; ${HOW_TO_ALLOW.replace(' or UPSTREAM_ALLOW_HOSTS', '')}`, {
      field: 'repo',
    });
  }
}

/** How a git command reaches an upstream: the URL without credentials, the Authorization header, the policy's access. */
export interface UpstreamRemote {
  url: string;
  authorization: string | undefined;
  access: GitAccess;
}

/**
 * Runs a git command that reaches the upstream `url`: checked against the policy right before git runs,
 * with git allowed to connect only where the check allowed. A failure reaches callers (API users) as one
 * message whatever the cause, so refused connections, TLS errors and timeouts cannot map a network; the
 * cause (already free of credentials) goes to the service log.
 */
export async function fromUpstream<T>(
  policy: UpstreamPolicy,
  url: string,
  options: { field: string; logger: Logger | undefined },
  run: (remote: UpstreamRemote) => Promise<T>,
): Promise<T> {
  const failed = (detail: Record<string, unknown>): AppError => {
    options.logger?.warn({ upstream: publicUrl(url), ...detail }, 'could not fetch the upstream');
    return new AppError('upstream_error', couldNotFetch(url));
  };
  let access: GitAccess;
  try {
    access = await policy.check(url, options.field, { beforeFetch: true });
  } catch (err) {
    // a name that does not resolve now: said like any other failure to reach the upstream
    if (err instanceof AppError && err.code === 'upstream_error') throw failed({ err: errorMessage(err.options.cause) });
    throw err;
  }
  const { url: bare, authorization } = splitHttpCredentials(url);
  try {
    return await run({ url: bare, authorization, access });
  } catch (err) {
    if (!(err instanceof GitCommandError) || err.code === 'git_unavailable') throw err;
    throw failed({ err: err.message, stderr: err.stderr });
  }
}
