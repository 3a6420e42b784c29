/** Structured logs (pino, as Probot uses). Secret-looking fields are redacted wherever they appear. */
import { pino, type Logger } from 'pino';

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

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { name: 'patch-tracking' } }, destination as never);
}

/** Replace credentials embedded in URLs (`https://user:secret@host`, `?access_token=…`) before text is logged or shown. */
export function redactSecrets(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1***@')
    .replace(/([?&](?:access_token|token|private_token|password)=)[^&\s#]+/gi, '$1***')
    .replace(/\b(ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{10,}/g, '$1_***');
}
