/**
 * A throwaway dovecot for the IMAP tests: temp config, passwd-file user, self-signed certificate,
 * maildir under a temp dir, listening on free ports of 127.0.0.1. Installs dovecot-imapd when missing
 * (the test machine is root; `.ci/install-test-deps.sh` does the same for CI).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';

const DOVECOT = '/usr/sbin/dovecot';

export function ensureDovecot(): void {
  if (existsSync(DOVECOT)) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['install', '-y', 'dovecot-imapd'], { stdio: 'ignore', env, timeout: 240_000 });
  } catch {
    execFileSync('apt-get', ['update'], { stdio: 'ignore', env, timeout: 240_000 });
    execFileSync('apt-get', ['install', '-y', 'dovecot-imapd'], { stdio: 'ignore', env, timeout: 240_000 });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, up: boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => (sock.destroy(), resolve(true)));
      sock.once('error', () => resolve(false));
    });
    if (open === up) return;
    if (Date.now() > deadline) throw new Error(`port ${port} did not ${up ? 'open' : 'close'} in time`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Dovecot {
  dir: string;
  port: number;
  tlsPort: number;
  user: string;
  password: string;
  /** sha256 fingerprint of the server certificate, `AB:CD:…` */
  fingerprint: string;
  cert: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** an admin connection (plain, trusted localhost) for delivering and inspecting mail */
  admin(): Promise<ImapFlow>;
  append(folder: string, raw: Buffer | string, flags?: string[]): Promise<void>;
  /** uid → flags of every message in the folder */
  flags(folder: string): Promise<Map<number, string[]>>;
}

export async function startDovecot(): Promise<Dovecot> {
  ensureDovecot();
  const dir = mkdtempSync(join(tmpdir(), 'pt-dovecot-'));
  chmodSync(dir, 0o755);
  const [port, tlsPort] = [await freePort(), await freePort()];
  const user = 'patches';
  const password = 'imap-test-password';
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost'], {
    stdio: 'ignore',
  });
  const fingerprint = execFileSync('openssl', ['x509', '-in', join(dir, 'cert.pem'), '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' })
    .trim()
    .replace(/^.*=/, '')
    .toUpperCase();
  writeFileSync(join(dir, 'passwd'), `${user}:{PLAIN}${password}\n`);
  for (const f of ['passwd', 'key.pem', 'cert.pem']) chmodSync(join(dir, f), 0o644);
  mkdirSync(join(dir, 'mail'));
  mkdirSync(join(dir, 'run'));
  // mail processes run as the dovecot user (dovecot refuses uid 0 for mail)
  const ids = execFileSync('id', ['-u', 'dovecot'], { encoding: 'utf8' }).trim();
  const gid = execFileSync('id', ['-g', 'dovecot'], { encoding: 'utf8' }).trim();
  chownSync(join(dir, 'mail'), Number(ids), Number(gid));
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${dir}/mail/%u
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=${dir}/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${tlsPort}
    ssl = yes
  }
}
`,
  );

  let child: ChildProcess | null = null;
  const d: Dovecot = {
    dir,
    port,
    tlsPort,
    user,
    password,
    fingerprint,
    cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    async start() {
      // its own process group, so stop() ends the server's login and imap processes too
      child = spawn(DOVECOT, ['-F', '-c', conf], { stdio: 'ignore', detached: true });
      await waitForPort(port, true);
      await waitForPort(tlsPort, true);
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      process.kill(-c.pid!, 'SIGTERM');
      await exited;
      await waitForPort(port, false);
    },
    async admin() {
      const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: false, auth: { user, pass: password }, logger: false } as never);
      client.on('error', () => {});
      await client.connect();
      return client;
    },
    async append(folder, raw, flags = []) {
      const c = await d.admin();
      try {
        if (folder !== 'INBOX') await c.mailboxCreate(folder).catch(() => {});
        await c.append(folder, typeof raw === 'string' ? Buffer.from(raw) : raw, flags);
      } finally {
        await c.logout();
      }
    },
    async flags(folder) {
      const c = await d.admin();
      const out = new Map<number, string[]>();
      try {
        const lock = await c.getMailboxLock(folder);
        try {
          for await (const m of c.fetch('1:*', { uid: true, flags: true })) out.set(m.uid, [...(m.flags ?? [])].sort());
        } catch {
          // an empty folder has no 1:*
        } finally {
          lock.release();
        }
      } finally {
        await c.logout();
      }
      return out;
    },
  };
  await d.start();
  return d;
}

export async function destroyDovecot(d: Dovecot | undefined): Promise<void> {
  if (!d) return;
  await d.stop();
  rmSync(d.dir, { recursive: true, force: true });
}
