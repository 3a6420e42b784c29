#!/usr/bin/env node
// The command is the service's build (dist/, made by npm install); this file only gives it its name.
await import('../../../dist/cli/patch-tracking-cli.js');
