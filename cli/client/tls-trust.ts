/**
 * Which certificates the CLI trusts besides the system roots. Verification always stays on unless
 * `--insecure` is given. Extra certificates come from `--ca FILE`, else PATCH_TRACKING_CA, else the server's
 * own TLS_CERT from the local settings file: the old CLI never verified anything, so its documented commands
 * only keep working on the server host (self-signed certificate) if we trust the certificate the local
 * service is configured with.
 *
 * A certificate trusted this way is pinned: when the server presents exactly that certificate, a host name
 * that is not in it is accepted (the old guide's `openssl req -subj "/CN=self-signed"` has no subjectAltName).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { checkServerIdentity, rootCertificates, type PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { parseSettingsFile } from '../../src/settings-file.js';
import { usageError } from './errors.js';

export interface TlsTrust {
  /** PEM certificates for the request's `ca` option (system roots included); undefined = node's defaults */
  ca?: string[];
  rejectUnauthorized: boolean;
  checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
  /** where the extra certificates came from, for error messages */
  source?: string;
}

export interface TrustOptions {
  caFile?: string;
  insecure?: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function resolveTlsTrust(options: TrustOptions): TlsTrust {
  if (options.insecure) return { rejectUnauthorized: false, source: '--insecure' };
  const explicit = options.caFile ?? options.env.PATCH_TRACKING_CA;
  if (explicit) {
    const origin = options.caFile ? '--ca' : 'PATCH_TRACKING_CA';
    const pem = readCertificates(path.resolve(options.cwd, explicit));
    if (!pem) throw usageError(`${origin}: cannot read a PEM certificate from ${explicit}`);
    return pinned(pem, `${origin} ${explicit}`);
  }
  const local = localServiceCertificate(options.env, options.cwd);
  if (local) {
    const pem = readCertificates(local.file);
    if (pem) return pinned(pem, `TLS_CERT ${local.file} (from ${local.settingsFile})`);
  }
  return { rejectUnauthorized: true };
}

function pinned(pem: string[], source: string): TlsTrust {
  const fingerprints = new Set<string>();
  for (const cert of pem) {
    try {
      fingerprints.add(new X509Certificate(cert).fingerprint256);
    } catch {
      // not parseable on its own: it still goes to `ca`, OpenSSL will judge it
    }
  }
  return {
    ca: [...rootCertificates, ...pem],
    rejectUnauthorized: true,
    source,
    checkServerIdentity: (host, cert) => (fingerprints.has(cert.fingerprint256) ? undefined : checkServerIdentity(host, cert)),
  };
}

function readCertificates(file: string): string[] | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  return blocks && blocks.length > 0 ? blocks : null;
}

/**
 * TLS_CERT as the local service would read it (PATCH_TRACKING_CONFIG, /etc/patch-tracking/settings.conf,
 * ./settings.conf; the environment overrides). Any problem means "no local certificate": this is a
 * convenience, never a reason to fail.
 */
export function localServiceCertificate(env: NodeJS.ProcessEnv, cwd: string): { file: string; settingsFile: string } | null {
  if (env.TLS_CERT) return { file: path.resolve(cwd, env.TLS_CERT), settingsFile: 'the environment' };
  const candidates = env.PATCH_TRACKING_CONFIG
    ? [path.resolve(cwd, env.PATCH_TRACKING_CONFIG)]
    : ['/etc/patch-tracking/settings.conf', path.resolve(cwd, 'settings.conf')];
  const settingsFile = candidates.find((file) => existsSync(file));
  if (!settingsFile) return null;
  try {
    const value = parseSettingsFile(readFileSync(settingsFile, 'utf8'), settingsFile).get('TLS_CERT')?.values.at(-1);
    if (!value) return null;
    if (path.isAbsolute(value)) return { file: value, settingsFile };
    // relative: as the service (started from its own directory) or next to the settings file
    const fromCwd = path.resolve(cwd, value);
    return { file: existsSync(fromCwd) ? fromCwd : path.resolve(path.dirname(settingsFile), value), settingsFile };
  } catch {
    return null;
  }
}
