/**
 * When scan cycles run: on SCAN_CRON (node-cron, with up to `~N` seconds of random jitter) or every
 * SCAN_DB_INTERVAL seconds (the old key; measured from the end of one cycle to the start of the next, so
 * cycles never overlap). What a cycle does is the engine's business.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

export interface SchedulerOptions {
  intervalSeconds: number;
  /** "m h dom mon dow" (or with seconds), optionally "~jitterSeconds" */
  cron?: string;
  logger: Logger;
  /** delay before the first interval cycle */
  firstDelayMs?: number;
}

export function parseCronSetting(value: string): { expression: string; jitterMs: number } {
  const [expression, jitter] = value.split('~');
  return { expression: (expression ?? '').trim(), jitterMs: jitter ? Number(jitter.trim()) * 1000 : 0 };
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private task: ScheduledTask | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly cycle: () => Promise<unknown>,
    private readonly options: SchedulerOptions,
  ) {}

  start(): void {
    if (this.options.cron) {
      const { expression, jitterMs } = parseCronSetting(this.options.cron);
      this.task = cron.schedule(expression, () => this.runOnce(), { noOverlap: true, maxRandomDelay: jitterMs, name: 'scan-cycle' });
      this.options.logger.info({ cron: expression, jitterMs }, 'scan cycles on a cron schedule');
    } else {
      this.arm(this.options.firstDelayMs ?? 2_000);
      this.options.logger.info({ intervalSeconds: this.options.intervalSeconds }, 'scan cycles on an interval');
    }
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      await this.runOnce();
      this.arm(this.options.intervalSeconds * 1000);
    }, delayMs);
    this.timer.unref();
  }

  /** One cycle now, unless one is already running (then wait for that one). */
  runOnce(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= (async () => {
      const started = Date.now();
      try {
        const result = await this.cycle();
        this.options.logger.info({ ms: Date.now() - started, result }, 'scan cycle done');
      } catch (err) {
        this.options.logger.error({ err: errorMessage(err) }, 'scan cycle failed');
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** No new cycles; the one in flight is allowed to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.task?.stop();
    await this.running;
  }
}
