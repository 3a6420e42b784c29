#!/usr/bin/env node
/** `patch-tracking-cli`: the client of the service (see cli/client/program.ts). */
import { run } from './client/program.js';

process.exitCode = await run(process.argv.slice(2));
