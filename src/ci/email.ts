import { spawn } from 'node:child_process';
import { AppError } from '../errors.js';

export interface CiEmailOptions {
  /** `CI_EMAIL`: where CI request notifications go. */
  to: string;
  from?: string;
  /** A sendmail-compatible program; `/usr/sbin/sendmail` by default, as brep uses. */
  sendmail?: string;
}

const ADDRESS_RE = /^[^\s<>@,;:"]+@[^\s<>@,;:"]+$/;

export function checkEmailOptions(o: CiEmailOptions): void {
  if (!ADDRESS_RE.test(o.to)) throw new AppError('ci_invalid_email', `CI email address '${o.to}' is not valid`, { field: 'CI_EMAIL' });
  if (o.from !== undefined && !ADDRESS_RE.test(o.from)) {
    throw new AppError('ci_invalid_email', `CI email sender '${o.from}' is not valid`, { field: 'CI_EMAIL' });
  }
}

/** Hands the message to sendmail (`-i`: a line with a single dot is not end of input). */
export async function sendCiEmail(o: CiEmailOptions, subject: string, body: string, timeoutMs: number): Promise<void> {
  checkEmailOptions(o);
  // The subject carries a handler-supplied reference: keep it on one header line.
  const headers = [
    ...(o.from ? [`From: ${o.from}`] : []),
    `To: ${o.to}`,
    `Subject: ${subject.replace(/[\r\n]+/g, ' ')}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
  ];
  const args = ['-i', ...(o.from ? ['-f', o.from] : []), '--', o.to];
  const child = spawn(o.sendmail ?? '/usr/sbin/sendmail', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    if (stderr.length < 4096) stderr += c.toString('utf8');
  });
  child.stdin.on('error', () => {}); // an early exit shows up as the exit status below
  child.stdin.end(`${headers.join('\n')}\n\n${body}`);
  const timer = timeoutMs > 0 ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : undefined;
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    if (code !== 0) {
      const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
      throw new AppError('ci_email_failed', `sendmail ${how}${stderr ? `: ${stderr.trim()}` : ''}`);
    }
  } finally {
    if (timer) clearTimeout(timer);
  }
}
