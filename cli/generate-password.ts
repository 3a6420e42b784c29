#!/usr/bin/env node
/** `generate_password PASSWORD`: a bcrypt hash for PASSWORD in settings.conf, under the old complexity rule. */
import { runGeneratePassword } from './client/program.js';

process.exitCode = await runGeneratePassword(process.argv.slice(2));
