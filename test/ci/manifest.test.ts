import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import {
  ManifestParseError,
  parseManifest,
  parseRequestManifest,
  parseResultManifest,
  serializeManifest,
  serializeRequestManifest,
  serializeResultManifest,
} from '../../src/ci/manifest.js';

function caught(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

describe('manifest format', () => {
  it('round-trips awkward values through brep-style serialization', () => {
    const values = [
      { name: 'plain', value: 'hello world' },
      { name: 'empty', value: '' },
      { name: 'multi', value: 'first line\nsecond line\n\nfourth after a blank' },
      { name: 'padded', value: '  leading and trailing\t' },
      { name: 'backslash-end', value: 'C:\\path\\' },
      { name: 'lone-backslash-line', value: 'above\n\\\nbelow' },
      { name: 'backslashes-in-multi', value: 'a\\\nb\\\\\nc' },
      { name: 'colon', value: 'status: not a name here' },
      { name: 'hash', value: '# not a comment' },
    ];
    const text = serializeManifest(values);
    expect(text.startsWith(': 1\n')).toBe(true);
    expect(parseManifest(text).map(({ name, value }) => ({ name, value }))).toEqual(values);
  });

  it('writes multi-line values between a `name:\\` line and a lone `\\` line', () => {
    expect(serializeManifest([{ name: 'message', value: 'one\ntwo' }])).toBe(': 1\nmessage:\\\none\ntwo\n\\\n');
  });

  it('turns CR and CRLF line breaks into LF, as brep does', () => {
    const text = serializeManifest([{ name: 'm', value: 'a\r\nb\rc' }]);
    expect(parseManifest(text)[0]?.value).toBe('a\nb\nc');
  });

  it('reads what libbutl writes: comments, continuations, both multi-line introducers', () => {
    const text = [
      ': 1',
      '# a comment',
      '',
      'summary: a long value that libbutl wrapped \\',
      'onto a second line',
      'old:\\',
      'line one',
      'line two',
      '\\',
      'new:',
      '\\',
      'only line',
      '\\',
      'trailing: spaces are trimmed   ',
      'escaped: ends in a backslash\\\\',
      ':',
      'after: the end is ignored',
    ].join('\n');
    expect(parseManifest(text).map(({ name, value }) => [name, value])).toEqual([
      ['summary', 'a long value that libbutl wrapped onto a second line'],
      ['old', 'line one\nline two'],
      ['new', 'only line'],
      ['trailing', 'spaces are trimmed'],
      ['escaped', 'ends in a backslash\\'],
    ]);
  });

  it('rejects values outside printable ASCII, tab, CR and LF, naming the value', () => {
    const bell = caught(() => serializeManifest([{ name: 'note', value: 'ring\u0007' }]));
    expect(bell.field).toBe('note');
    expect(bell.message).toMatch(/invalid value of 'note': U\+0007 at position 5/);
    const accented = caught(() => serializeManifest([{ name: 'author', value: 'José' }]));
    expect(accented.field).toBe('author');
    expect(accented.message).toMatch(/U\+00E9/);
    expect(() => serializeManifest([{ name: 'ok', value: 'tab\there\r\nand newline' }])).not.toThrow();
  });

  it('rejects names with whitespace, colons or a leading #', () => {
    expect(caught(() => serializeManifest([{ name: 'a b', value: 'x' }])).message).toMatch(/'a b'/);
    expect(caught(() => serializeManifest([{ name: 'a:b', value: 'x' }])).message).toMatch(/contains ':'/);
    expect(caught(() => serializeManifest([{ name: '#x', value: 'x' }])).message).toMatch(/starts with '#'/);
    expect(caught(() => serializeManifest([{ name: '', value: 'x' }])).message).toMatch(/empty name/);
  });

  it('reports garbage with its line number', () => {
    const err = caught(() => parseManifest(': 1\nstatus: 200\nthis is not a manifest\n'));
    expect(err).toBeInstanceOf(ManifestParseError);
    expect((err as ManifestParseError).line).toBe(3);
    expect(err.message).toBe("line 3: ':' expected after name 'this'");
    expect(caught(() => parseManifest(': 2\n')).message).toBe('line 1: unsupported format version 2');
    expect(caught(() => parseManifest('x: \u0000\n')).message).toMatch(/^line 1: invalid value of 'x'/);
  });
});

describe('request manifest', () => {
  it('writes brep order: id, repository, packages, timestamp, then custom values', () => {
    const text = serializeRequestManifest({
      id: 'f1b8c3e4-0000-4000-8000-000000000001',
      repository: 'https://gitee.com/src-openeuler/zlib',
      packages: ['zlib', 'minizip/1.3'],
      timestamp: new Date('2026-11-22T01:02:03.456Z'),
      custom: { range: 'abc123..def456', 'tracking-id': '7' },
    });
    expect(text).toBe(
      [
        ': 1',
        'id: f1b8c3e4-0000-4000-8000-000000000001',
        'repository: https://gitee.com/src-openeuler/zlib',
        'package: zlib',
        'package: minizip/1.3',
        'timestamp: 2026-11-22T01:02:03Z',
        'range: abc123..def456',
        'tracking-id: 7',
        '',
      ].join('\n'),
    );
    const back = parseRequestManifest(text);
    expect(back.packages).toEqual(['zlib', 'minizip/1.3']);
    expect(back.timestamp.toISOString()).toBe('2026-11-22T01:02:03.000Z');
    expect(back.custom).toEqual({ range: 'abc123..def456', 'tracking-id': '7' });
  });

  it('refuses a custom value that would shadow a standard one', () => {
    const err = caught(() =>
      serializeRequestManifest({ id: 'x', repository: 'https://h/r', packages: [], timestamp: new Date(), custom: { timestamp: 'now' } }),
    );
    expect(err.field).toBe('timestamp');
  });

  it('requires the timestamp in YYYY-MM-DDThh:mm:ssZ form when parsing', () => {
    const err = caught(() => parseRequestManifest(': 1\nid: x\nrepository: https://h/r\ntimestamp: 2026-11-22 01:02:03\n'));
    expect(err.field).toBe('timestamp');
  });
});

describe('result manifest', () => {
  it('round-trips status, message, reference and extra values', () => {
    const result = {
      status: 202,
      message: 'CI request is queued\nsee the dashboard',
      reference: 'job-42',
      values: [
        { name: 'url', value: 'https://ci.example/job/42' },
        { name: 'url', value: 'https://mirror.example/job/42' },
      ],
    };
    expect(parseResultManifest(serializeResultManifest(result))).toEqual(result);
  });

  it('accepts a shell-written manifest without the version line', () => {
    expect(parseResultManifest('status: 200\nmessage: ok\n')).toEqual({ status: 200, message: 'ok', values: [] });
  });

  it.each([
    ['', 'line 1: empty manifest'],
    [': 1\nmessage: hi\nstatus: 200\n', "line 2: 'status' expected first, found 'message'"],
    [': 1\nstatus: 20\nmessage: hi\n', "line 2: invalid HTTP status '20'"],
    [': 1\nstatus: 600\nmessage: hi\n', "line 2: invalid HTTP status '600'"],
    [': 1\nstatus: 2OO\nmessage: hi\n', "line 2: invalid HTTP status '2OO'"],
    [': 1\nstatus: 200\n', "line 2: 'message' is required"],
    [': 1\nstatus: 200\nmessage: a\nreference: r\nmessage: b\n', "line 5: 'message' given twice"],
    ['<html>oops</html>\n', "line 1: ':' expected after name '<html>oops</html>'"],
  ])('rejects %j', (text, message) => {
    const err = caught(() => parseResultManifest(text));
    expect(err).toBeInstanceOf(ManifestParseError);
    expect(err.message).toBe(message);
  });
});
