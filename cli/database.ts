/**
 * How a command reaches the database: the server of DATABASE_URL, or the embedded server under DATA_DIR,
 * joined when the service (or another command) runs it and started for the command's duration otherwise.
 */
import { openDatabase, type DatabaseHandle, type OpenOptions } from '../src/db/client.js';
import type { EmbeddedLog } from '../src/db/embedded.js';
import type { Settings } from '../src/settings.js';

/** Warnings only, on stderr: an MTA pipe's output stays clean, and a first run's new cluster is routine. */
const commandLog: EmbeddedLog = (level, message) => {
  if (level === 'warn') process.stderr.write(`patch-tracking: ${message}\n`);
};

export async function withDatabase<T>(
  settings: Settings,
  work: (handle: DatabaseHandle) => Promise<T>,
  options: Pick<OpenOptions, 'exclusive'> = {},
): Promise<T> {
  const handle = await openDatabase({ databaseUrl: settings.databaseUrl || undefined, dataDir: settings.dataDir, maxConnections: 2, log: commandLog, ...options });
  try {
    return await work(handle);
  } finally {
    await handle.close();
  }
}
