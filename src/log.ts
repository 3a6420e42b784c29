/** Structured logs (pino, as Probot uses). Secret-looking fields are redacted wherever they appear. */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'password',
  'token',
  'authorization',
  'access_token',
  '*.password',
  '*.token',
  '*.authorization',
  '*.access_token',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
];

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  return pino(
    { level, redact: { paths: REDACT, censor: '[redacted]' }, serializers: { err: safeErr }, base: { name: 'patch-tracking' } },
    destination,
  );
}

/**
 * How an error is logged. A failed query carries its parameters (a tracking's upstream URL with a token in
 * it, a password hash) in `params` and in its message: both are dropped, the SQL kept; every text field is
 * scrubbed, and so is the cause chain.
 */
export function safeErr(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const out = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  delete out.params;
  for (const [key, value] of Object.entries(out)) {
    if (typeof value === 'string') out[key] = redactSecrets(withoutQueryParams(value));
  }
  if (err.cause !== undefined) out.cause = safeErr(err.cause);
  return out;
}

/** Drizzle's `Failed query: …\nparams: …` and PostgreSQL's `DETAIL: Key (…)=(…)` both quote the values. */
function withoutQueryParams(text: string): string {
  return text.replace(/\nparams: [^\n]*/g, '\nparams: [redacted]').replace(/(Key \([^)]*\)=)\([^\n]*\)/g, '$1([redacted])');
}

/**
 * The one scrubber for text that may carry a credential (error messages, git's stderr, forge answers, log lines):
 * URL user-info (`https://user:token@host`), `access_token=…` in URLs and forms, `"access_token":"…"` in JSON,
 * authorization headers, GitHub token shapes, and any `secrets` given literally (a token we hold ourselves).
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"]+@/gi, '$1***@')
    .replace(/(access_token|private_token|token|password)=[^&\s"'#]+/gi, '$1=***')
    .replace(/("(?:access_token|private_token|token|password)"\s*:\s*)"[^"]*"/gi, '$1"***"')
    .replace(/(authorization["']?\s*[:=]\s*["']?)(?:(?:token|bearer|basic)\s+)?[^\s"',}]+/gi, '$1***')
    .replace(/\b(gh[pousr]|github_pat)_[A-Za-z0-9_]{10,}/g, '$1_***');
  // shorter literals would blank out ordinary words
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('***');
  }
  return out;
}
