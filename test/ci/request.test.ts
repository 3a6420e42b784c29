import { describe, expect, it } from 'vitest';
import { statusOf } from '../../src/http/status.js';
import { AppError } from '../../src/errors.js';
import { parseCiSubmission, validateCiRequest } from '../../src/ci/request.js';
import { renderCiClientError } from '../../src/ci/response.js';
import { parseResultManifest } from '../../src/ci/manifest.js';

function rejection(query: string): AppError {
  try {
    parseCiSubmission(new URLSearchParams(query));
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error(`expected '${query}' to be rejected`);
}

describe('parseCiSubmission', () => {
  it('takes repository, repeated packages, simulate and custom values', () => {
    const request = parseCiSubmission(
      new URLSearchParams(
        'repository=https://gitee.com/src-openeuler/zlib&package=zlib&package=minizip/1.3-2&package=&simulate=success&range=a..b&_=1700000000',
      ),
    );
    expect(request).toEqual({
      repository: 'https://gitee.com/src-openeuler/zlib',
      packages: ['zlib', 'minizip/1.3-2'],
      simulate: 'success',
      custom: { range: 'a..b' },
      files: [],
    });
  });

  it('accepts scp-style git locations', () => {
    expect(parseCiSubmission(new URLSearchParams('repository=git@gitee.com:src-openeuler/zlib.git')).repository).toBe(
      'git@gitee.com:src-openeuler/zlib.git',
    );
  });

  it.each([
    ['package=zlib', 'repository', /repository is required/],
    ['repository=/srv/repos/zlib', 'repository', /not a URL/],
    ['repository=file:///srv/repos/zlib', 'repository', /remote http, https, git or ssh URL/],
    ['repository=https://h/a&repository=https://h/b', 'repository', /more than once/],
    ['repository=https://h/r&package=bad name', 'package', /invalid package 'bad name'/],
    ['repository=https://h/r&simulate=explode', 'simulate', /simulate must be one of success, internal-error-text, internal-error-html/],
    ['repository=https://h/r&note=%07bell', 'note', /invalid value of 'note': U\+0007/],
    ['repository=https://h/r&note=caf%C3%A9', 'note', /invalid value of 'note': U\+00E9/],
    ['repository=https://h/r&id=mine', 'id', /set by the service/],
    ['repository=https://h/r&timestamp=now', 'timestamp', /set by the service/],
    ['repository=https://h/r&a%3Ab=1', 'a:b', /contains ':'/],
    ['repository=https://h/r&x=1&x=2', 'x', /more than once/],
  ])('rejects %s naming %s', (query, field, message) => {
    const err = rejection(query);
    expect(statusOf(err)).toBe(400);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });

  it('keeps a custom value called __proto__ as data', () => {
    const request = parseCiSubmission(new URLSearchParams('repository=https://h/r&__proto__=x'));
    expect(Object.entries(request.custom)).toEqual([['__proto__', 'x']]);
  });

  it('answers a violation as brep does: a manifest with the status and a message', () => {
    const violation = rejection('repository=https://h/r&simulate=explode');
    const response = renderCiClientError(violation, statusOf(violation));
    expect(response.status).toBe(400);
    expect(response.contentType).toBe('text/manifest;charset=utf-8');
    expect(parseResultManifest(response.body)).toMatchObject({ status: 400, message: expect.stringMatching(/^simulate must be/) });
  });
});

describe('validateCiRequest', () => {
  const base = { repository: 'https://h/r', packages: [], custom: {} };

  it('refuses patch file names that could escape or overwrite the manifests', () => {
    for (const name of ['../evil.patch', 'sub/dir.patch', '.hidden', 'request.manifest', 'result.manifest', '']) {
      expect(() => validateCiRequest({ ...base, files: [{ name, content: 'x' }] }), name).toThrow(/invalid patch file name/);
    }
    expect(() =>
      validateCiRequest({ ...base, files: [{ name: '0001-a.patch', content: 'x' }, { name: '0001-a.patch', content: 'y' }] }),
    ).toThrow(/given twice/);
  });
});
