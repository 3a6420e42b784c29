import { describe, expect, it } from 'vitest';
import { autodelegate, fnmatch } from '../../src/mail/delegate.js';
import { parseDependencyRef } from '../../src/mail/series.js';

describe('autodelegation', () => {
  const rules = [
    { path: 'patchwork/views/*', priority: 0, user: 'views' },
    { path: '?/patchwork/api/*', priority: 0, user: 'api' },
    { path: '*/manage.py', priority: 5, user: 'ops' },
    { path: 'docs/*', priority: 1, user: 'docs' },
  ];

  it('delegates when every file maps to the same user, by priority', () => {
    expect(autodelegate(['patchwork/views/a.py', 'patchwork/views/sub/b.py'], rules)).toBe('views');
    expect(autodelegate(['x/manage.py'], [...rules, { path: 'x/*', priority: 1, user: 'low' }])).toBe('ops');
  });

  it('accepts the documentation’s `?/path` style as well as Patchwork’s stripped names', () => {
    expect(autodelegate(['patchwork/api/patch.py'], rules)).toBe('api');
  });

  it('nobody when files disagree, a file has no rule, or there are no files', () => {
    expect(autodelegate(['patchwork/views/a.py', 'docs/index.rst'], rules)).toBeNull();
    expect(autodelegate(['README'], rules)).toBeNull();
    expect(autodelegate([], rules)).toBeNull();
  });

  it('fnmatch: * and ? cross slashes, classes and negation', () => {
    expect(fnmatch('a/b/c.py', '*.py')).toBe(true);
    expect(fnmatch('a.c', '?.[ch]')).toBe(true);
    expect(fnmatch('a.o', '?.[!ch]')).toBe(true);
    expect(fnmatch('a.h', '?.[!ch]')).toBe(false);
    expect(fnmatch('a+b(c).txt', 'a+b(c).txt')).toBe(true);
  });
});

describe('Depends-on / Based-on values', () => {
  it('reads message ids, series and patch URLs the way Patchwork accepts them', () => {
    expect(parseDependencyRef('<20240610210912.161735-1-ahassick@iol.unh.edu>')).toEqual({ kind: 'msgid', msgid: '<20240610210912.161735-1-ahassick@iol.unh.edu>' });
    expect(parseDependencyRef('http://test/project/test-project/list/?series=12')).toEqual({ kind: 'series', id: 12 });
    expect(parseDependencyRef('https://pw.example.org/api/1.3/series/7/')).toEqual({ kind: 'series', id: 7 });
    expect(parseDependencyRef('https://pw.example.org/project/p/patch/20240610210912.161735-3-ahassick@iol.unh.edu/')).toEqual({ kind: 'msgid', msgid: '<20240610210912.161735-3-ahassick@iol.unh.edu>' });
    expect(parseDependencyRef('https://pw.example.org/patch/42/')).toEqual({ kind: 'patch', id: 42 });
    expect(parseDependencyRef('bare-id@example.org')).toEqual({ kind: 'msgid', msgid: '<bare-id@example.org>' });
    expect(parseDependencyRef('the other series')).toEqual({ kind: 'unknown', value: 'the other series' });
  });
});
