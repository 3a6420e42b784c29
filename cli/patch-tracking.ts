#!/usr/bin/env node
/**
 * `patch-tracking`: the service and its admin commands. `serve` (the default) runs the API, the webhooks and
 * the scheduler until SIGTERM/SIGINT.
 */
import { Command } from 'commander';
import { AppError, errorMessage } from '../src/errors.js';
import { VERSION } from '../src/paths.js';
import { loadSettings, type Settings } from '../src/settings.js';
import { withDatabase } from './database.js';
import { registerMailCommands } from './mail-commands.js';
import { registerUserCommands } from './user-commands.js';

function settingsFrom(command: Command): Settings {
  const options = command.optsWithGlobals<{ config?: string }>();
  return loadSettings({ configFile: options.config });
}

export function fatal(err: unknown, exitCode = 1): never {
  const message = err instanceof AppError ? err.message : errorMessage(err);
  process.stderr.write(`patch-tracking: ${message}\n`);
  process.exit(err instanceof AppError && err.code.startsWith('settings') ? 2 : exitCode);
}

const program = new Command('patch-tracking')
  .description('patch-tracking service: upstream patches to Gitee/GitHub pull requests, and mailing-list patch tracking')
  .version(VERSION)
  .option('-c, --config <file>', 'settings file (default: $PATCH_TRACKING_CONFIG, /etc/patch-tracking/settings.conf, ./settings.conf)')
  .showHelpAfterError();

program
  .command('serve', { isDefault: true })
  .description('run the service (REST API, webhooks, scheduler)')
  .action(async (_options, command: Command) => {
    let settings: Settings;
    try {
      settings = settingsFrom(command);
    } catch (err) {
      fatal(err, 2);
    }
    try {
      // loaded here, not at the top: parsemail in an MTA pipe should not pay for the whole service
      const { startService } = await import('../src/main.js');
      const service = await startService(settings);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        service.logger.info({ signal }, 'shutting down');
        service
          .stop()
          .then(() => process.exit(0))
          .catch((err) => fatal(err));
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    } catch (err) {
      fatal(err);
    }
  });

program
  .command('migrate')
  .description('apply database migrations and exit (serve does this too)')
  .action(async (_options, command: Command) => {
    try {
      const settings = settingsFrom(command);
      const engine = await withDatabase(settings, async (db) => db.engine);
      process.stdout.write(`migrations applied (${engine})\n`);
    } catch (err) {
      fatal(err);
    }
  });

program
  .command('backup')
  .description('write every row of the database to FILE (gzipped; consistent while the service runs)')
  .argument('<file>', 'the backup file to write')
  .action(async (file: string, _options, command: Command) => {
    try {
      const settings = settingsFrom(command);
      const { backupDatabase } = await import('../src/db/backup.js');
      const summary = await withDatabase(settings, (db) => backupDatabase(db.client, file));
      process.stdout.write(`backup written to ${file}: ${summary.rows} rows in ${summary.tables} tables\n`);
    } catch (err) {
      fatal(err);
    }
  });

program
  .command('restore')
  .description('replace every row of the database with those of a backup FILE, in one transaction (stop the service first)')
  .argument('<file>', 'a file written by `patch-tracking backup`')
  .action(async (file: string, _options, command: Command) => {
    try {
      const settings = settingsFrom(command);
      const { restoreDatabase } = await import('../src/db/backup.js');
      // exclusive: a running service would keep working on rows that are about to be replaced
      const summary = await withDatabase(settings, (db) => restoreDatabase(db.client, file), { exclusive: 'restore' });
      process.stdout.write(`restored ${summary.rows} rows in ${summary.tables} tables from ${file}\n`);
    } catch (err) {
      fatal(err);
    }
  });

registerMailCommands(program, settingsFrom);
registerUserCommands(program, settingsFrom);

program.parseAsync().catch((err) => fatal(err));
