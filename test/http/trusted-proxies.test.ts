/** The client address throttling keys on: X-Forwarded-For only from a trusted proxy (TRUSTED_PROXIES). */
import { describe, expect, it } from 'vitest';
import { parseAddressRange, TrustedProxies } from '../../src/http/trusted-proxies.js';
import { resolveSettings } from '../../src/settings.js';

describe('TrustedProxies', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8', '::1']);

  it('believes X-Forwarded-For from a trusted proxy, reading from the nearest hop', () => {
    expect(proxies.clientOf('10.1.2.3', '203.0.113.9')).toBe('203.0.113.9');
    expect(proxies.clientOf('::ffff:10.1.2.3', '198.51.100.1, 203.0.113.9, 10.9.9.9')).toBe('203.0.113.9');
    expect(proxies.clientOf('::1', '203.0.113.9')).toBe('203.0.113.9');
  });

  it('ignores the header from anyone else, and a garbled one', () => {
    expect(proxies.clientOf('203.0.113.50', '1.2.3.4')).toBe('203.0.113.50');
    expect(proxies.clientOf('10.1.2.3', 'not-an-address')).toBe('10.1.2.3');
    expect(new TrustedProxies([]).clientOf('10.1.2.3', '1.2.3.4')).toBe('10.1.2.3');
  });

  it('parses addresses and ranges, and the setting refuses anything else', () => {
    expect(parseAddressRange('192.0.2.0/24')).toEqual({ address: '192.0.2.0', prefix: 24, family: 'ipv4' });
    expect(parseAddressRange('192.0.2.0/33')).toBeNull();
    expect(parseAddressRange('proxy.local')).toBeNull();
    expect(() => resolveSettings(new Map(), { TRUSTED_PROXIES: '10.0.0.1, nope' }, null)).toThrow(/TRUSTED_PROXIES[\s\S]*nope/);
  });
});
