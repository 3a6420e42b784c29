/**
 * All settings in one typed object: settings.conf (the old program's format and keys) overridden by
 * environment variables of the same name. Every value is validated at start; an invalid one stops the
 * service with a message naming the key and where it came from (file and line, or the environment).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import cron from 'node-cron';
import { AppError, errorMessage } from './errors.js';
import { assertGitUrl } from './sources/git-url.js';
import { parseSettingsFile, type RawSetting } from './settings-file.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface Settings {
  listen: ListenAddress;
  githubAccessToken: string;
  giteeAccessToken: string;
  scanDbInterval: number;
  scanCron: string;
  user: string;
  /** a password hash (bcrypt, or the old program's pbkdf2/scrypt); empty = generated on first start */
  passwordHash: string;
  databaseUrl: string;
  dataDir: string;
  tlsCert: string;
  tlsKey: string;
  logLevel: string;
  readAuth: boolean;
  bodyLimit: number;
  maxPatchesPerPr: number;
  giteeApiUrl: string;
  githubApiUrl: string;
  giteeHosts: string[];
  githubHosts: string[];
  /** empty: derived from the API URL (forges/resolve.ts, forgeBases) */
  giteeWebUrl: string;
  giteeGitUrl: string;
  githubWebUrl: string;
  githubGitUrl: string;
  specEdit: 'auto' | 'off';
  patchDir: string;
  botName: string;
  botEmail: string;
  updateOpenPr: boolean;
  appId: string;
  privateKey: string;
  webhookSecret: string;
  giteeWebhookSecret: string;
  ciHandler: string;
  ciHandlerArguments: string[];
  ciHandlerTimeout: number;
  ciDataDir: string;
  ciEmail: string;
  /** the file the settings were read from, if any */
  configFile: string | null;
}

type Kind = 'string' | 'int' | 'bool' | 'listen' | 'url' | 'git-url' | 'list' | 'level' | 'spec-edit' | 'cron';

interface KeyDefinition {
  key: string;
  kind: Kind;
  field: keyof Settings;
  default: string;
  min?: number;
}

/** Every key the service knows. settings.example.conf documents each one (a test checks that). */
export const SETTING_KEYS: readonly KeyDefinition[] = [
  { key: 'LISTEN', kind: 'listen', field: 'listen', default: '127.0.0.1:5001' },
  { key: 'GITHUB_ACCESS_TOKEN', kind: 'string', field: 'githubAccessToken', default: '' },
  { key: 'GITEE_ACCESS_TOKEN', kind: 'string', field: 'giteeAccessToken', default: '' },
  { key: 'SCAN_DB_INTERVAL', kind: 'int', field: 'scanDbInterval', default: '3600', min: 1 },
  { key: 'SCAN_CRON', kind: 'cron', field: 'scanCron', default: '' },
  { key: 'USER', kind: 'string', field: 'user', default: 'admin' },
  { key: 'PASSWORD', kind: 'string', field: 'passwordHash', default: '' },
  { key: 'DATABASE_URL', kind: 'url', field: 'databaseUrl', default: '' },
  { key: 'DATA_DIR', kind: 'string', field: 'dataDir', default: './data' },
  { key: 'TLS_CERT', kind: 'string', field: 'tlsCert', default: '' },
  { key: 'TLS_KEY', kind: 'string', field: 'tlsKey', default: '' },
  { key: 'LOG_LEVEL', kind: 'level', field: 'logLevel', default: 'info' },
  { key: 'READ_AUTH', kind: 'bool', field: 'readAuth', default: 'false' },
  { key: 'BODY_LIMIT', kind: 'int', field: 'bodyLimit', default: '1048576', min: 1024 },
  { key: 'MAX_PATCHES_PER_PR', kind: 'int', field: 'maxPatchesPerPr', default: '100', min: 1 },
  { key: 'GITEE_API_URL', kind: 'url', field: 'giteeApiUrl', default: 'https://gitee.com/api/v5' },
  { key: 'GITHUB_API_URL', kind: 'url', field: 'githubApiUrl', default: 'https://api.github.com' },
  { key: 'GITEE_HOSTS', kind: 'list', field: 'giteeHosts', default: 'gitee.com' },
  { key: 'GITHUB_HOSTS', kind: 'list', field: 'githubHosts', default: 'github.com' },
  { key: 'GITEE_WEB_URL', kind: 'url', field: 'giteeWebUrl', default: '' },
  { key: 'GITEE_GIT_URL', kind: 'git-url', field: 'giteeGitUrl', default: '' },
  { key: 'GITHUB_WEB_URL', kind: 'url', field: 'githubWebUrl', default: '' },
  { key: 'GITHUB_GIT_URL', kind: 'git-url', field: 'githubGitUrl', default: '' },
  { key: 'SPEC_EDIT', kind: 'spec-edit', field: 'specEdit', default: 'auto' },
  { key: 'PATCH_DIR', kind: 'string', field: 'patchDir', default: '' },
  { key: 'BOT_NAME', kind: 'string', field: 'botName', default: 'patch-tracking' },
  { key: 'BOT_EMAIL', kind: 'string', field: 'botEmail', default: 'patch-tracking@localhost' },
  { key: 'UPDATE_OPEN_PR', kind: 'bool', field: 'updateOpenPr', default: 'false' },
  { key: 'APP_ID', kind: 'string', field: 'appId', default: '' },
  { key: 'PRIVATE_KEY', kind: 'string', field: 'privateKey', default: '' },
  { key: 'WEBHOOK_SECRET', kind: 'string', field: 'webhookSecret', default: '' },
  { key: 'GITEE_WEBHOOK_SECRET', kind: 'string', field: 'giteeWebhookSecret', default: '' },
  { key: 'CI_HANDLER', kind: 'string', field: 'ciHandler', default: '' },
  { key: 'CI_HANDLER_ARGUMENT', kind: 'list', field: 'ciHandlerArguments', default: '' },
  { key: 'CI_HANDLER_TIMEOUT', kind: 'int', field: 'ciHandlerTimeout', default: '600', min: 1 },
  { key: 'CI_DATA_DIR', kind: 'string', field: 'ciDataDir', default: '' },
  { key: 'CI_EMAIL', kind: 'string', field: 'ciEmail', default: '' },
];

export const DEFAULT_CONFIG_PATHS = ['/etc/patch-tracking/settings.conf', './settings.conf'];

export interface LoadOptions {
  /** --config FILE */
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  /** the places searched when neither --config nor PATCH_TRACKING_CONFIG is given */
  searchPaths?: string[];
}

/** Find, read and validate the settings. Throws AppError('settings_invalid' | 'settings_syntax' | …). */
export function loadSettings(options: LoadOptions = {}): Settings {
  const env = options.env ?? process.env;
  const configFile = findConfigFile(options, env);
  const fromFile = configFile ? parseSettingsFile(readConfig(configFile), configFile) : new Map<string, RawSetting>();
  return resolveSettings(fromFile, env, configFile);
}

function findConfigFile(options: LoadOptions, env: NodeJS.ProcessEnv): string | null {
  const explicit = options.configFile ?? env.PATCH_TRACKING_CONFIG;
  if (explicit) {
    if (!existsSync(explicit)) throw new AppError('settings_missing', `config file not found: ${explicit}`);
    return explicit;
  }
  return (options.searchPaths ?? DEFAULT_CONFIG_PATHS).find((candidate) => existsSync(candidate)) ?? null;
}

function readConfig(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError('settings_missing', `cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
}

export function resolveSettings(
  fromFile: Map<string, RawSetting>,
  env: NodeJS.ProcessEnv,
  configFile: string | null,
): Settings {
  const settings: Record<string, unknown> = { configFile };
  for (const def of SETTING_KEYS) {
    const envValue = env[def.key];
    const raw: RawSetting =
      envValue !== undefined
        ? { key: def.key, values: [envValue], origin: 'environment' }
        : fromFile.get(def.key) ?? { key: def.key, values: [def.default], origin: 'default' };
    settings[def.field] = convert(def, raw);
  }
  const result = settings as unknown as Settings;
  checkCombinations(result, fromFile, env);
  return result;
}

function fail(raw: RawSetting, message: string): never {
  const where = raw.origin === 'environment' ? 'environment variable' : raw.origin;
  throw new AppError('settings_invalid', `${raw.key} (${where}): ${message}`, { field: raw.key });
}

function convert(def: KeyDefinition, raw: RawSetting): unknown {
  const value = (raw.values[raw.values.length - 1] ?? '').trim();
  switch (def.kind) {
    case 'string':
      return value;
    case 'list':
      // repeated lines accumulate; one line may also hold a comma-separated list
      return raw.values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
    case 'int': {
      if (!/^\d+$/.test(value)) fail(raw, `expected a whole number, got "${value}"`);
      const n = Number(value);
      if (def.min !== undefined && n < def.min) fail(raw, `must be at least ${def.min}, got ${n}`);
      return n;
    }
    case 'bool': {
      const lower = value.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(lower)) return true;
      if (['false', '0', 'no', 'off', ''].includes(lower)) return false;
      return fail(raw, `expected true or false, got "${value}"`);
    }
    case 'listen':
      return parseListen(value) ?? fail(raw, `expected host:port (IPv4, [IPv6]:port or a hostname), got "${value}"`);
    case 'url':
      if (value === '') return '';
      try {
        const url = new URL(value);
        if (!/^(https?|postgres(ql)?):$/.test(url.protocol)) fail(raw, `unsupported URL scheme ${url.protocol}`);
      } catch (err) {
        if (err instanceof AppError) throw err;
        // never echo the value: a database URL may hold a password
        fail(raw, 'not a valid URL');
      }
      return value.replace(/\/+$/, '');
    case 'git-url':
      if (value === '') return '';
      try {
        assertGitUrl(value, raw.key);
      } catch (err) {
        fail(raw, errorMessage(err));
      }
      return value.replace(/\/+$/, '');
    case 'level': {
      const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
      return levels.includes(value.toLowerCase()) ? value.toLowerCase() : fail(raw, `expected one of ${levels.join(', ')}`);
    }
    case 'spec-edit':
      return value === 'auto' || value === 'off' ? value : fail(raw, `expected "auto" or "off", got "${value}"`);
    case 'cron':
      if (value !== '' && !isCronExpression(value)) fail(raw, `not a cron expression: "${value}"`);
      return value;
  }
}

/** A cron expression node-cron accepts, optionally followed by `~jitterSeconds`. */
export function isCronExpression(value: string): boolean {
  const [expression, jitter] = value.split('~');
  if (jitter !== undefined && !/^\s*\d+\s*$/.test(jitter)) return false;
  return cron.validate((expression ?? '').trim());
}

export function parseListen(value: string): ListenAddress | null {
  const bracketed = /^\[([0-9A-Fa-f:.%a-zA-Z]+)\]:(\d{1,5})$/.exec(value);
  const plain = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const match = bracketed ?? plain;
  if (!match) return null;
  const host = match[1]!;
  const port = Number(match[2]);
  if (port > 65535) return null; // 0 = any free port (tests, ephemeral runs)
  if (bracketed && isIP(host) !== 6) return null;
  if (!bracketed && /^[\d.]+$/.test(host) && isIP(host) !== 4) return null;
  if (!bracketed && !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(host)) {
    return null;
  }
  return { host, port };
}

function checkCombinations(settings: Settings, fromFile: Map<string, RawSetting>, env: NodeJS.ProcessEnv): void {
  const origin = (key: string) => (env[key] !== undefined ? 'environment variable' : fromFile.get(key)?.origin ?? 'default');
  if (Boolean(settings.tlsCert) !== Boolean(settings.tlsKey)) {
    const missing = settings.tlsCert ? 'TLS_KEY' : 'TLS_CERT';
    const given = settings.tlsCert ? 'TLS_CERT' : 'TLS_KEY';
    throw new AppError('settings_invalid', `${missing}: must be set together with ${given} (${origin(given)})`, { field: missing });
  }
  for (const key of ['TLS_CERT', 'TLS_KEY'] as const) {
    const file = key === 'TLS_CERT' ? settings.tlsCert : settings.tlsKey;
    if (file && !existsSync(file)) {
      throw new AppError('settings_invalid', `${key} (${origin(key)}): file not found: ${file}`, { field: key });
    }
  }
  if (settings.databaseUrl && !/^postgres(ql)?:/.test(settings.databaseUrl)) {
    throw new AppError('settings_invalid', `DATABASE_URL (${origin('DATABASE_URL')}): expected a postgres:// URL`, {
      field: 'DATABASE_URL',
    });
  }
  if (settings.passwordHash && !isSupportedHash(settings.passwordHash)) {
    throw new AppError(
      'settings_invalid',
      `PASSWORD (${origin('PASSWORD')}): expected a password hash (bcrypt, or pbkdf2:/scrypt: from generate_password), not a plain password`,
      { field: 'PASSWORD' },
    );
  }
  settings.dataDir = path.resolve(settings.dataDir);
}

export function isSupportedHash(value: string): boolean {
  return /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(value) || /^(pbkdf2:sha(256|512|1)(:\d+)?|scrypt:\d+:\d+:\d+)\$[^$]+\$[0-9a-f]+$/.test(value);
}
