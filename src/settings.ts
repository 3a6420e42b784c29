/**
 * All settings in one typed object: settings.conf (the old program's format and keys) overridden by the
 * environment. One zod schema, keyed by the file's keys, says what each key accepts and what it defaults
 * to; an invalid value stops the service with a message naming the key and where it came from (file and
 * line, or the environment variable).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';
import { parseAddressRange } from './http/trusted-proxies.js';
import { AppError, errorMessage } from './errors.js';
import { assertGitUrl } from './sources/git-url.js';
import { parseAllowedHost } from './sources/upstream-policy.js';
import { parseSettingsFile, type RawSetting } from './settings-file.js';

export interface ListenAddress {
  host: string;
  port: number;
}

// --- What each kind of value accepts -----------------------------------------------------------------

/** A key's values, in order: a file may repeat a key (CI_HANDLER_ARGUMENT accumulates); otherwise the last wins. */
const values = z.array(z.string());
const lastValue = values.transform((all) => (all.at(-1) ?? '').trim());

/** A key holding one value, parsed by `value`; `fallback` is the text used when nothing sets the key. */
function setting<Out>(fallback: string, value: z.ZodType<Out, string>) {
  return lastValue.pipe(value).prefault([fallback]);
}

function invalid(ctx: z.core.$RefinementCtx, input: string, message: string): typeof z.NEVER {
  ctx.issues.push({ code: 'custom', input, message });
  return z.NEVER;
}

const text = (fallback: string) => setting(fallback, z.string());

const wholeNumber = (fallback: string, min: number) =>
  setting(
    fallback,
    z
      .string()
      .regex(/^\d+$/, { error: (issue) => `expected a whole number, got "${String(issue.input)}"` })
      .transform(Number)
      .pipe(z.number().min(min, { error: (issue) => `must be at least ${min}, got ${String(issue.input)}` })),
  );

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off', ''];
const bool = (fallback: string) =>
  setting(
    fallback,
    z.string().transform((value, ctx) => {
      const lower = value.toLowerCase();
      if (TRUE.includes(lower)) return true;
      if (FALSE.includes(lower)) return false;
      return invalid(ctx, value, `expected true or false, got "${value}"`);
    }),
  );

/** Repeated lines accumulate; one line (or the environment) may also hold a comma-separated list. */
const list = (fallback: string) =>
  values.transform((all) => all.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)).prefault([fallback]);

const listen = (fallback: string) =>
  setting(
    fallback,
    z.string().transform(
      (value, ctx) => parseListen(value) ?? invalid(ctx, value, `expected host:port (IPv4, [IPv6]:port or a hostname), got "${value}"`),
    ),
  );

/** A URL with one of `schemes` (or empty), without a trailing slash. Never echoed: a database URL may hold a password. */
const url = (fallback: string, schemes: readonly string[], wrongScheme: (scheme: string) => string) =>
  setting(
    fallback,
    z.string().transform((value, ctx) => {
      if (value === '') return '';
      let scheme: string;
      try {
        scheme = new URL(value).protocol;
      } catch {
        return invalid(ctx, value, 'not a valid URL');
      }
      if (!schemes.includes(scheme)) return invalid(ctx, value, wrongScheme(scheme));
      return value.replace(/\/+$/, '');
    }),
  );
const apiUrl = (fallback: string) => url(fallback, ['http:', 'https:'], (scheme) => `unsupported URL scheme ${scheme}`);
/** a forge's git address: empty = derived from its web address (forges/resolve.ts, forgeBases) */
const gitUrl = () =>
  setting(
    '',
    z.string().transform((value, ctx) => {
      if (value === '') return '';
      try {
        assertGitUrl(value, 'the git URL');
      } catch (err) {
        return invalid(ctx, value, errorMessage(err));
      }
      return value.replace(/\/+$/, '');
    }),
  );
const databaseUrl = () => url('', ['postgres:', 'postgresql:'], () => 'expected a postgres:// URL');

/** Addresses or CIDR ranges (IPv4 or IPv6), comma-separated; each one is checked. */
const addressList = () =>
  list('').pipe(
    z.array(z.string()).superRefine((all, ctx) => {
      for (const entry of all) if (!parseAddressRange(entry)) invalid(ctx, entry, `expected an IP address or CIDR range, got "${entry}"`);
    }),
  );

/** Host names, IP addresses or CIDR ranges, comma-separated; each one is checked. */
const hostList = () =>
  list('').pipe(
    z.array(z.string()).superRefine((all, ctx) => {
      for (const entry of all) if (!parseAllowedHost(entry)) invalid(ctx, entry, `expected a host name, IP address or CIDR range, got "${entry}"`);
    }),
  );

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const logLevel = (fallback: string) =>
  setting(fallback, z.string().toLowerCase().pipe(z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` })));

const specEdit = (fallback: string) =>
  setting(fallback, z.enum(['auto', 'off'], { error: (issue) => `expected "auto" or "off", got "${String(issue.input)}"` }));

const cronSchedule = () =>
  setting('', z.string().refine((value) => value === '' || isCronExpression(value), { error: (issue) => `not a cron expression: "${String(issue.input)}"` }));

const passwordHash = () =>
  setting(
    '',
    z.string().refine((value) => value === '' || isSupportedHash(value), {
      error: 'expected a password hash (bcrypt, or pbkdf2:/scrypt: from generate_password), not a plain password',
    }),
  );

const existingFile = () =>
  setting('', z.string().refine((value) => value === '' || existsSync(value), { error: (issue) => `file not found: ${String(issue.input)}` }));

const directory = (fallback: string) => setting(fallback, z.string().transform((value) => path.resolve(value)));

// --- The keys ------------------------------------------------------------------------------------------

/** Every key the service knows, as settings.conf spells it. settings.example.conf documents each one (a test checks that). */
const fileSchema = z.object({
  LISTEN: listen('127.0.0.1:5001'),
  GITHUB_ACCESS_TOKEN: text(''),
  GITEE_ACCESS_TOKEN: text(''),
  SCAN_DB_INTERVAL: wholeNumber('3600', 1),
  SCAN_CRON: cronSchedule(),
  /** seconds a replica's claim on a tracking lasts without a heartbeat: a dead replica's work resumes after it */
  LEASE_SECONDS: wholeNumber('30', 5),
  /** this replica's name in leases and logs; empty = the host name. Unique per replica, the same after a restart */
  REPLICA_NAME: text(''),
  USER: text('admin'),
  /** a password hash (bcrypt, or the old program's pbkdf2/scrypt); empty = generated on first start */
  PASSWORD: passwordHash(),
  DATABASE_URL: databaseUrl(),
  DATA_DIR: directory('./data'),
  TLS_CERT: existingFile(),
  TLS_KEY: existingFile(),
  LOG_LEVEL: logLevel('info'),
  READ_AUTH: bool('false'),
  BODY_LIMIT: wholeNumber('1048576', 1024),
  TRUSTED_PROXIES: addressList(),
  /** local paths, file:// and loopback/private/link-local hosts as upstreams (sources/upstream-policy.ts) */
  ALLOW_LOCAL_UPSTREAMS: bool('false'),
  UPSTREAM_ALLOW_HOSTS: hostList(),
  MAX_PATCHES_PER_PR: wholeNumber('100', 1),
  GITEE_API_URL: apiUrl('https://gitee.com/api/v5'),
  GITHUB_API_URL: apiUrl('https://api.github.com'),
  GITEE_HOSTS: list('gitee.com'),
  GITHUB_HOSTS: list('github.com'),
  GITEE_WEB_URL: apiUrl(''),
  GITEE_GIT_URL: gitUrl(),
  GITHUB_WEB_URL: apiUrl(''),
  GITHUB_GIT_URL: gitUrl(),
  SPEC_EDIT: specEdit('auto'),
  PATCH_DIR: text(''),
  BOT_NAME: text('patch-tracking'),
  BOT_EMAIL: text('patch-tracking@localhost'),
  UPDATE_OPEN_PR: bool('false'),
  /** how a spec's Version names its upstream release tag (src/upstreamed/), tried in order */
  UPSTREAM_TAG_PATTERNS: list('v%{version},%{version}'),
  /** how many trackings one scan cycle compares for spec patches already upstream (0: never) */
  UPSTREAMED_PER_CYCLE: wholeNumber('100', 0),
  APP_ID: text(''),
  PRIVATE_KEY: text(''),
  WEBHOOK_SECRET: text(''),
  GITEE_WEBHOOK_SECRET: text(''),
  CI_HANDLER: text(''),
  CI_HANDLER_ARGUMENT: list(''),
  CI_HANDLER_TIMEOUT: wholeNumber('600', 1),
  CI_DATA_DIR: text(''),
  CI_EMAIL: text(''),
});

type SettingKey = keyof typeof fileSchema.shape;
export const SETTING_KEYS = Object.keys(fileSchema.shape) as readonly SettingKey[];

const settingsSchema = fileSchema
  .check((ctx) => {
    // a certificate without its key (or the reverse) would only fail at the first TLS handshake
    const { TLS_CERT: cert, TLS_KEY: key } = ctx.value;
    if (Boolean(cert) === Boolean(key)) return;
    const [missing, given] = cert ? ['TLS_KEY', 'TLS_CERT'] : ['TLS_CERT', 'TLS_KEY'];
    ctx.issues.push({ code: 'custom', input: '', path: [missing], message: `must be set together with ${given}`, params: { alongside: given } });
  })
  .transform((s) => ({
    listen: s.LISTEN,
    githubAccessToken: s.GITHUB_ACCESS_TOKEN,
    giteeAccessToken: s.GITEE_ACCESS_TOKEN,
    scanDbInterval: s.SCAN_DB_INTERVAL,
    scanCron: s.SCAN_CRON,
    leaseSeconds: s.LEASE_SECONDS,
    replicaName: s.REPLICA_NAME,
    user: s.USER,
    passwordHash: s.PASSWORD,
    databaseUrl: s.DATABASE_URL,
    dataDir: s.DATA_DIR,
    tlsCert: s.TLS_CERT,
    tlsKey: s.TLS_KEY,
    logLevel: s.LOG_LEVEL,
    readAuth: s.READ_AUTH,
    bodyLimit: s.BODY_LIMIT,
    trustedProxies: s.TRUSTED_PROXIES,
    allowLocalUpstreams: s.ALLOW_LOCAL_UPSTREAMS,
    upstreamAllowHosts: s.UPSTREAM_ALLOW_HOSTS,
    maxPatchesPerPr: s.MAX_PATCHES_PER_PR,
    giteeApiUrl: s.GITEE_API_URL,
    githubApiUrl: s.GITHUB_API_URL,
    giteeHosts: s.GITEE_HOSTS,
    githubHosts: s.GITHUB_HOSTS,
    giteeWebUrl: s.GITEE_WEB_URL,
    giteeGitUrl: s.GITEE_GIT_URL,
    githubWebUrl: s.GITHUB_WEB_URL,
    githubGitUrl: s.GITHUB_GIT_URL,
    specEdit: s.SPEC_EDIT,
    patchDir: s.PATCH_DIR,
    botName: s.BOT_NAME,
    botEmail: s.BOT_EMAIL,
    updateOpenPr: s.UPDATE_OPEN_PR,
    upstreamTagPatterns: s.UPSTREAM_TAG_PATTERNS,
    upstreamedPerCycle: s.UPSTREAMED_PER_CYCLE,
    appId: s.APP_ID,
    privateKey: s.PRIVATE_KEY,
    webhookSecret: s.WEBHOOK_SECRET,
    giteeWebhookSecret: s.GITEE_WEBHOOK_SECRET,
    ciHandler: s.CI_HANDLER,
    ciHandlerArguments: s.CI_HANDLER_ARGUMENT,
    ciHandlerTimeout: s.CI_HANDLER_TIMEOUT,
    ciDataDir: s.CI_DATA_DIR,
    ciEmail: s.CI_EMAIL,
  }));

export type Settings = z.output<typeof settingsSchema> & {
  /** the file the settings were read from, if any */
  configFile: string | null;
};

// --- Where values come from ----------------------------------------------------------------------------

/** `PATCH_TRACKING_<KEY>` overrides any key, from the file and from an unprefixed variable alike. */
export const ENV_PREFIX = 'PATCH_TRACKING_';

/**
 * Variables that shells, login, sudo and systemd set for every process. An unprefixed variable overrides a
 * key only when it is not one of these: `USER` is always set (to the Unix account), so reading it renamed
 * the admin and every request got 401.
 */
const SET_FOR_EVERY_PROCESS = new Set([
  'USER', 'LOGNAME', 'HOME', 'PATH', 'SHELL', 'PWD', 'OLDPWD', 'SHLVL', 'TERM', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR',
  'HOSTNAME', 'MAIL', 'DISPLAY', 'SUDO_USER', 'SUDO_UID', 'SUDO_GID', 'SUDO_COMMAND', 'INVOCATION_ID', 'JOURNAL_STREAM',
  'NOTIFY_SOCKET', 'LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'WATCHDOG_PID', 'WATCHDOG_USEC', 'MAINPID', 'MANAGERPID',
  'RUNTIME_DIRECTORY', 'STATE_DIRECTORY', 'CACHE_DIRECTORY', 'LOGS_DIRECTORY', 'CONFIGURATION_DIRECTORY', 'CREDENTIALS_DIRECTORY',
]);

/** The environment's value for a key, if it sets one, and the variable's name for messages. */
/**
 * Prefixed names patch-tracking-cli reads for itself: PATCH_TRACKING_PASSWORD is the client's plain password,
 * so a service started from the same shell must not take it as its PASSWORD hash.
 */
const CLIENT_VARIABLES = new Set(['PASSWORD']);

function fromEnvironment(key: string, env: NodeJS.ProcessEnv): RawSetting | undefined {
  const prefixed = CLIENT_VARIABLES.has(key) ? undefined : env[ENV_PREFIX + key];
  if (prefixed !== undefined) return { key, values: [prefixed], origin: `environment variable ${ENV_PREFIX}${key}` };
  const plain = env[key];
  if (plain !== undefined && !SET_FOR_EVERY_PROCESS.has(key) && !key.startsWith('LC_')) {
    return { key, values: [plain], origin: 'environment variable' };
  }
  return undefined;
}

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

/** The settings from a parsed file and the environment; keys set by neither take the schema's default. */
export function resolveSettings(fromFile: Map<string, RawSetting>, env: NodeJS.ProcessEnv, configFile: string | null): Settings {
  const input: Partial<Record<SettingKey, string[]>> = {};
  const origins = new Map<string, string>();
  for (const key of SETTING_KEYS) {
    const raw = fromEnvironment(key, env) ?? fromFile.get(key);
    if (!raw) continue;
    input[key] = raw.values;
    origins.set(key, raw.origin);
  }
  const parsed = settingsSchema.safeParse(input);
  if (!parsed.success) throw settingsError(parsed.error.issues, origins);
  return { ...parsed.data, configFile };
}

/** Every problem at once, one per line, each naming its key and where the value came from. */
function settingsError(issues: readonly z.core.$ZodIssue[], origins: Map<string, string>): AppError {
  const lines = issues.map((issue) => {
    const key = String(issue.path[0]);
    const origin = origins.get(key);
    const alongside = issue.code === 'custom' ? (issue.params?.alongside as string | undefined) : undefined;
    const alongsideOrigin = alongside ? origins.get(alongside) : undefined;
    return `${key}${origin ? ` (${origin})` : ''}: ${issue.message}${alongsideOrigin ? ` (${alongsideOrigin})` : ''}`;
  });
  return new AppError('settings_invalid', lines.join('\n'), { field: String(issues[0]?.path[0]) });
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

export function isSupportedHash(value: string): boolean {
  return /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(value) || /^(pbkdf2:sha(256|512|1)(:\d+)?|scrypt:\d+:\d+:\d+)\$[^$]+\$[0-9a-f]+$/.test(value);
}
