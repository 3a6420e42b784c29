/**
 * What a reverse proxy may tell us about a request. Behind a proxy every socket is the proxy's, so one
 * client's failed logins would throttle everyone, and the service's own URL is not the one clients use:
 * the proxies named in TRUSTED_PROXIES are believed about X-Forwarded-For (read from the right, the
 * nearest hop, skipping hops that are themselves trusted proxies) and X-Forwarded-Proto/-Host. Anyone else
 * is taken at the socket's word, so a client can pick neither its own address nor the links we answer.
 */
import { BlockList, isIP } from 'node:net';

/** `10.0.0.0/8`, `::1`, `192.0.2.7` as a range; null when it is not one. */
export function parseAddressRange(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [address = '', prefixText, extra] = text.split('/');
  const version = isIP(address);
  if (!version || extra !== undefined) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export class TrustedProxies {
  private readonly list = new BlockList();
  readonly empty: boolean;

  constructor(ranges: readonly string[]) {
    for (const text of ranges) {
      const range = parseAddressRange(text);
      if (!range) throw new Error(`TRUSTED_PROXIES: not an IP address or CIDR range: ${text}`);
      this.list.addSubnet(range.address, range.prefix, range.family);
    }
    this.empty = ranges.length === 0;
  }

  private trusts(address: string): boolean {
    const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
    const version = isIP(plain);
    return version !== 0 && this.list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  }

  /** The client's address, given the socket's peer and the X-Forwarded-For header. */
  clientOf(socketAddress: string, forwardedFor: string | undefined): string {
    if (this.empty || !forwardedFor || !this.trusts(socketAddress)) return socketAddress;
    const hops = forwardedFor.split(',').map((h) => h.trim()).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (!isIP(hop)) return socketAddress;
      if (!this.trusts(hop)) return hop;
    }
    return hops[0] ?? socketAddress;
  }

  /** The service's origin as the client sees it, given the socket's peer and the URL it asked for. */
  originOf(socketAddress: string, requestUrl: string, forwarded: { proto?: string; host?: string }): string {
    const url = new URL(requestUrl);
    const own = { scheme: url.protocol.replace(':', ''), authority: url.host };
    if (!this.empty && this.trusts(socketAddress)) {
      const proto = firstValue(forwarded.proto);
      const host = firstValue(forwarded.host);
      if (proto === 'http' || proto === 'https') own.scheme = proto;
      if (host && /^[A-Za-z0-9.:[\]-]+$/.test(host)) own.authority = host;
    }
    return `${own.scheme}://${own.authority}`;
  }
}

/** The client-side (first) value of a header each proxy appends to. */
function firstValue(header: string | undefined): string | undefined {
  return header?.split(',')[0]?.trim() || undefined;
}
