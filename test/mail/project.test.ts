import { describe, expect, it } from 'vitest';
import { findProject } from '../../src/mail/project.js';

describe('findProject', () => {
  const projects = [
    { name: 'default', listId: 'dev.lists.example.org', subjectMatch: null },
    { name: 'net', listId: 'dev.lists.example.org', subjectMatch: '\\[[^\\]]*net[^\\]]*\\]' },
    { name: 'other', listId: 'other.example.org', subjectMatch: '' },
  ];

  it('prefers the project whose subject filter matches, else the unfiltered one of that list', () => {
    expect(findProject({ listIds: ['dev.lists.example.org'], subject: '[PATCH net-next] tcp: x' }, projects)?.name).toBe('net');
    expect(findProject({ listIds: ['dev.lists.example.org'], subject: '[PATCH] mm: y' }, projects)?.name).toBe('default');
  });

  it('tries each list id in header order; an explicit list id overrides the headers', () => {
    expect(findProject({ listIds: ['unknown.example.org', 'other.example.org'], subject: 'x' }, projects)?.name).toBe('other');
    expect(findProject({ listIds: ['other.example.org'], subject: '[net] x' }, projects, 'dev.lists.example.org')?.name).toBe('net');
    expect(findProject({ listIds: [], subject: 'x' }, projects)).toBeNull();
  });
});
