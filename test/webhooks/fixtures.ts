/** Recorded-style webhook payloads from test/fixtures/webhooks, as fresh objects a test may adjust. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function payload<T = Record<string, any>>(name: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/webhooks/${name}.json`, import.meta.url)), 'utf8')) as T;
}
