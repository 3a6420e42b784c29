/** app.yml asks for exactly what the app uses: its permissions, and the events the app function listens to. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { parse } from 'yaml';
import { createApp } from '../../src/app.js';
import type { Lifecycle } from '../../src/lifecycle/index.js';

const manifest = parse(readFileSync(fileURLToPath(new URL('../../app.yml', import.meta.url)), 'utf8')) as Record<string, any>;

it('has the permissions of issue 5, private, with placeholder URLs', () => {
  expect(manifest.default_permissions).toEqual({ contents: 'write', issues: 'write', pull_requests: 'write', checks: 'write', statuses: 'write', metadata: 'read' });
  expect(manifest.public).toBe(false);
  expect(manifest.hook_attributes.url).toMatch(/^https:\/\/.+\/api\/github\/webhooks$/);
});

it('subscribes to exactly the events the app handles (installation_repositories is sent to every app)', () => {
  const events = new Set<string>();
  createApp({ lifecycle: {} as Lifecycle, onInstallationRepositories: () => {} })({
    on: (names: string | string[]) => {
      for (const name of [names].flat()) events.add(name.split('.')[0]!);
    },
  } as never);
  expect([...events].sort()).toEqual(['installation_repositories', 'issue_comment', 'pull_request', 'push']);
  expect([...manifest.default_events].sort()).toEqual(['issue_comment', 'pull_request', 'push']);
});
