/** What the lifecycle handlers need from the rest of the service. */
import type { Database } from '../db/client.js';
import type { Forges } from '../forges/resolve.js';
import type { ForgeRepo } from '../forges/types.js';
import type { Logger } from '../log.js';
import type { PublishOptions } from '../publish/publish.js';
import type { Source } from '../sources/types.js';
import type { RunResult } from '../tracker/run.js';
import type { ForgeExtras } from './extras.js';

export interface LifecycleDeps {
  db: Database;
  logger: Logger;
  forges: Forges;
  /** the extra forge calls for a repository (permissions, bodies, labels, checks) */
  extras(repo: ForgeRepo): ForgeExtras;
  sources: Partial<Record<string, Source>>;
  unavailable: Partial<Record<string, string>>;
  publish: PublishOptions;
  engine: {
    scanNow(id: number): Promise<RunResult | { action: 'busy' }>;
  };
  /**
   * Starts processing the work queue without waiting (webhook senders time out after 10 s);
   * tests pass one that records the promise.
   */
  kick(): void;
  now?: () => Date;
}
