/** Mail-ingest commands of `patch-tracking` (parsemail, parsearchive, mail parse): wired as the mail ingest lands. */
import type { Command } from 'commander';
import type { Settings } from '../src/settings.js';

export function registerMailCommands(_program: Command, _settingsFrom: (command: Command) => Settings): void {}
