import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.js';
import { createProject, loadProjectContexts, matchProject, type ProjectContext } from '../../src/mail/store/projects.js';
import { createTestDatabase } from '../helpers/db.js';

let handle: DatabaseHandle;
let projects: ProjectContext[];

beforeAll(async () => {
  handle = await createTestDatabase();
  await createProject(handle.db, { linkName: 'default', listId: 'dev.lists.example.org' });
  await createProject(handle.db, { linkName: 'net', listId: 'dev.lists.example.org', subjectMatch: '\\[[^\\]]*net[^\\]]*\\]' });
  await createProject(handle.db, { linkName: 'other', listId: 'other.example.org', subjectMatch: '' });
  projects = await loadProjectContexts(handle.db);
});
afterAll(async () => {
  await handle?.close();
});

const match = (listIds: string[], subject: string) => matchProject(projects, listIds, subject)?.row.linkName ?? null;

describe('matchProject', () => {
  it('prefers the project whose subject filter matches, else the unfiltered one of that list', () => {
    expect(match(['dev.lists.example.org'], '[PATCH net-next] tcp: x')).toBe('net');
    expect(match(['dev.lists.example.org'], '[PATCH] mm: y')).toBe('default');
  });

  it('tries each list id in header order, whatever its case; none matching is no project', () => {
    expect(match(['unknown.example.org', 'other.example.org'], 'x')).toBe('other');
    expect(match(['Dev.Lists.Example.ORG'], '[PATCH] mm: y')).toBe('default');
    expect(match([], 'x')).toBeNull();
  });
});
