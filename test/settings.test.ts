import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings, parseListen, SETTING_KEYS } from '../src/settings.js';
import { parseSettingsFile } from '../src/settings-file.js';
import { IMAP_KEYS } from '../src/mail/ingest/imap-settings.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pt-settings-'));
function conf(text: string): string {
  const file = path.join(dir, `s${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, text);
  return file;
}
const load = (text: string, env: NodeJS.ProcessEnv = {}) => loadSettings({ configFile: conf(text), env });

const OLD_SETTINGS = `LISTEN = "127.0.0.1:5001"
GITHUB_ACCESS_TOKEN = ""
GITEE_ACCESS_TOKEN = ""
SCAN_DB_INTERVAL = 3600
USER = "admin"
PASSWORD = "pbkdf2:sha256:150000$saltsalt$8ce3797ecdc2d4c896a64211ed10fdd0d5c84439535c489f52f92f7274d3a648"
`;

describe('settings.conf', () => {
  it("reads the old program's settings.conf unchanged", () => {
    const s = load(OLD_SETTINGS);
    expect(s.listen).toEqual({ host: '127.0.0.1', port: 5001 });
    expect(s.scanDbInterval).toBe(3600);
    expect(s.user).toBe('admin');
    expect(s.passwordHash).toMatch(/^pbkdf2:sha256/);
    expect(s.readAuth).toBe(false);
  });

  it('handles comments, single quotes, spaces, Python booleans and escapes', () => {
    const s = load(`# comment\n  LOG_LEVEL='debug'   # trailing\nREAD_AUTH = True\nBOT_NAME = "say \\"hi\\""\n\n`);
    expect(s.logLevel).toBe('debug');
    expect(s.readAuth).toBe(true);
    expect(s.botName).toBe('say "hi"');
  });

  it('lets environment variables override the file', () => {
    const s = load(OLD_SETTINGS, { SCAN_DB_INTERVAL: '60', LISTEN: '[::1]:6000' });
    expect(s.scanDbInterval).toBe(60);
    expect(s.listen).toEqual({ host: '::1', port: 6000 });
  });

  it('keeps the admin named as the file says although every shell and systemd set $USER', () => {
    expect(load(OLD_SETTINGS, { USER: 'root' }).user).toBe('admin');
    expect(load('', { USER: 'patch-tracking' }).user).toBe('admin');
  });

  it('ignores every variable a login shell or systemd sets for a service', () => {
    const serviceEnvironment = {
      USER: 'patch-tracking', LOGNAME: 'patch-tracking', HOME: '/var/lib/patch-tracking', PATH: '/usr/bin:/bin',
      SHELL: '/bin/sh', PWD: '/', LANG: 'C.UTF-8', LC_ALL: 'C', TERM: 'xterm', TZ: 'UTC', TMPDIR: '/tmp',
      INVOCATION_ID: 'c0ffee', JOURNAL_STREAM: '8:1234', LISTEN_FDS: '1', LISTEN_PID: '42', NOTIFY_SOCKET: '/run/systemd/notify',
      STATE_DIRECTORY: '/var/lib/patch-tracking', RUNTIME_DIRECTORY: '/run/patch-tracking',
    };
    const file = conf(OLD_SETTINGS);
    expect(loadSettings({ configFile: file, env: serviceEnvironment })).toEqual(loadSettings({ configFile: file, env: {} }));
  });

  it('lets PATCH_TRACKING_<KEY> override any key, ahead of the unprefixed variable', () => {
    const s = load(OLD_SETTINGS, { PATCH_TRACKING_USER: 'bot-admin', SCAN_DB_INTERVAL: '60', PATCH_TRACKING_SCAN_DB_INTERVAL: '90' });
    expect(s.user).toBe('bot-admin');
    expect(s.scanDbInterval).toBe(90);
    expect(() => load('', { PATCH_TRACKING_READ_AUTH: 'maybe' })).toThrow(/^READ_AUTH \(environment variable PATCH_TRACKING_READ_AUTH\): expected true or false/);
  });

  it("leaves PATCH_TRACKING_PASSWORD to patch-tracking-cli: the client's plain password is not the service's hash", () => {
    const file = conf(OLD_SETTINGS);
    expect(loadSettings({ configFile: file, env: { PATCH_TRACKING_PASSWORD: 'Demo-pass1' } })).toEqual(loadSettings({ configFile: file, env: {} }));
  });

  it('reports every invalid key at once, one per line', () => {
    expect(() => load('SPEC_EDIT = "sometimes"\nBODY_LIMIT = 5\n')).toThrow(
      /^BODY_LIMIT \(.*:2\): must be at least 1024, got 5\nSPEC_EDIT \(.*:1\): expected "auto" or "off", got "sometimes"$/,
    );
  });

  it('collects repeated keys (CI_HANDLER_ARGUMENT)', () => {
    expect(load('CI_HANDLER_ARGUMENT = "--a"\nCI_HANDLER_ARGUMENT = "--b"\n').ciHandlerArguments).toEqual(['--a', '--b']);
  });

  it.each([
    ['LISTEN = "127.0.0.1"', /LISTEN \(.*:1\): expected host:port/],
    ['LISTEN = "[::1:5001"', /LISTEN/],
    ['LISTEN = "999.1.1.1:80"', /LISTEN/],
    ['LISTEN = "host:70000"', /LISTEN/],
    ['\nSCAN_DB_INTERVAL = "soon"', /SCAN_DB_INTERVAL \(.*:2\): expected a whole number/],
    ['SCAN_DB_INTERVAL = 0', /at least 1/],
    ['READ_AUTH = "perhaps"', /READ_AUTH .*true or false/],
    ['LOG_LEVEL = "loud"', /LOG_LEVEL/],
    ['PASSWORD = "Test@123"', /PASSWORD .*not a plain password/],
    ['TLS_CERT = "/etc/x.crt"', /TLS_KEY: must be set together with TLS_CERT/],
    ['DATABASE_URL = "mysql://x"', /DATABASE_URL/],
    ['SCAN_CRON = "every hour"', /SCAN_CRON/],
    ['this is not a setting', /:1: expected KEY = value/],
    ['USER = "admin', /USER: the value has no closing "/],
  ])('rejects %s naming the key, file and line', (text, message) => {
    expect(() => load(text)).toThrow(message);
  });

  it('names the environment when the bad value came from there', () => {
    expect(() => load('', { SCAN_DB_INTERVAL: 'x' })).toThrow(/SCAN_DB_INTERVAL \(environment variable\)/);
  });

  it('does not echo a database URL (it may hold a password) when rejecting it', () => {
    try {
      load('DATABASE_URL = "postgres://u:s3cret@@:x"');
    } catch (err) {
      expect(String(err)).not.toContain('s3cret');
      return;
    }
    throw new Error('expected an error');
  });

  it('finds the file through PATCH_TRACKING_CONFIG, and falls back to defaults with no file', () => {
    const file = conf('SCAN_DB_INTERVAL = 42\n');
    expect(loadSettings({ env: { PATCH_TRACKING_CONFIG: file } }).scanDbInterval).toBe(42);
    expect(loadSettings({ env: {}, searchPaths: [path.join(dir, 'none.conf')] }).listen.port).toBe(5001);
    expect(() => loadSettings({ env: { PATCH_TRACKING_CONFIG: '/nonexistent.conf' } })).toThrow(/config file not found/);
  });

  it('accepts hostnames and IPv6 in LISTEN', () => {
    expect(parseListen('localhost:5001')).toEqual({ host: 'localhost', port: 5001 });
    expect(parseListen('[2001:db8::1]:443')).toEqual({ host: '2001:db8::1', port: 443 });
    expect(parseListen('::1:5001')).toBeNull();
  });

  it('settings.example.conf documents every key and is itself valid', () => {
    const example = readFileSync(new URL('../settings.example.conf', import.meta.url), 'utf8');
    const keys = parseSettingsFile(example, 'settings.example.conf');
    for (const key of SETTING_KEYS) expect(keys.has(key), key).toBe(true);
    // the IMAP importer's keys are documented too (commented out: they are optional)
    for (const key of IMAP_KEYS) expect(example, key).toMatch(new RegExp(`^# ${key} = `, 'm'));
    expect(() => loadSettings({ configFile: new URL('../settings.example.conf', import.meta.url).pathname, env: {} })).not.toThrow();
  });
});

describe('which upstreams the service may read', () => {
  it('refuses local upstreams unless ALLOW_LOCAL_UPSTREAMS says otherwise, in the file or the environment', () => {
    expect(load(OLD_SETTINGS)).toMatchObject({ allowLocalUpstreams: false, upstreamAllowHosts: [] });
    expect(load(`${OLD_SETTINGS}ALLOW_LOCAL_UPSTREAMS = true\n`).allowLocalUpstreams).toBe(true);
    expect(load(OLD_SETTINGS, { PATCH_TRACKING_ALLOW_LOCAL_UPSTREAMS: 'yes' }).allowLocalUpstreams).toBe(true);
    expect(() => load(`${OLD_SETTINGS}ALLOW_LOCAL_UPSTREAMS = maybe\n`)).toThrow(/ALLOW_LOCAL_UPSTREAMS .*expected true or false/);
  });

  it('UPSTREAM_ALLOW_HOSTS takes host names, addresses and CIDR ranges, and names a bad entry', () => {
    const s = load(`${OLD_SETTINGS}UPSTREAM_ALLOW_HOSTS = "git.corp.example, 10.20.0.0/16, fd00::/8, 192.0.2.7"\n`);
    expect(s.upstreamAllowHosts).toEqual(['git.corp.example', '10.20.0.0/16', 'fd00::/8', '192.0.2.7']);
    expect(() => load(`${OLD_SETTINGS}UPSTREAM_ALLOW_HOSTS = "10.0.0.0/33"\n`)).toThrow(/UPSTREAM_ALLOW_HOSTS .*"10.0.0.0\/33"/);
    expect(() => load(`${OLD_SETTINGS}UPSTREAM_ALLOW_HOSTS = "http://x/"\n`)).toThrow(/UPSTREAM_ALLOW_HOSTS/);
  });
});
