import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imapOptionsFrom } from '../../src/mail/ingest/imap-settings.js';

const dir = mkdtempSync(join(tmpdir(), 'pt-imap-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('IMAP settings', () => {
  it('takes flags over the environment over the settings file, with defaults for the rest', () => {
    const conf = join(dir, 'settings.conf');
    writeFileSync(conf, 'IMAP_HOST = "file.example.org"\nIMAP_USER = "patches"\nIMAP_FOLDERS = "INBOX, Lists/dev"\nIMAP_AFTER = "keyword:Tracked"\n');
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    const o = imapOptionsFrom({ IMAP_HOST: 'flag.example.org' }, { IMAP_PASSWORD_FILE: join(dir, 'pw'), IMAP_FINGERPRINT: 'ab'.repeat(32) }, conf);
    expect(o).toMatchObject({
      host: 'flag.example.org',
      port: 993,
      security: 'tls',
      user: 'patches',
      password: 's3cret',
      folders: ['INBOX', 'Lists/dev'],
      after: { kind: 'keyword', keyword: 'Tracked' },
      fingerprint: 'AB:'.repeat(31) + 'AB',
      batchSize: 200,
    });
    expect(imapOptionsFrom({ IMAP_SECURITY: 'starttls' }, { IMAP_HOST: 'h', IMAP_USER: 'u', IMAP_PASSWORD: 'p' }).port).toBe(143);
  });

  it('names the key and where the bad value came from, never the password', () => {
    const env = { IMAP_HOST: 'h', IMAP_USER: 'u', IMAP_PASSWORD: 'hunter2' };
    expect(() => imapOptionsFrom({}, { IMAP_USER: 'u', IMAP_PASSWORD: 'p' })).toThrow('IMAP_HOST is not set');
    expect(() => imapOptionsFrom({ IMAP_PORT: '99999' }, env)).toThrow('IMAP_PORT (command line): must be between 1 and 65535');
    expect(() => imapOptionsFrom({}, { ...env, IMAP_SECURITY: 'ssl' })).toThrow('IMAP_SECURITY (environment): expected tls, starttls or none, got "ssl"');
    expect(() => imapOptionsFrom({ IMAP_AFTER: 'flag' }, env)).toThrow(/IMAP_AFTER \(command line\): expected seen, delete or keyword:NAME/);
    const err = (() => {
      try {
        imapOptionsFrom({ IMAP_FINGERPRINT: 'abc' }, env);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toBe('IMAP_FINGERPRINT (command line): the certificate fingerprint must be 64 hex digits (a SHA-256), colons allowed');
    expect(err?.message).not.toContain('hunter2');
    expect(() => imapOptionsFrom({ IMAP_PASSWORD_FILE: join(dir, 'missing') }, env)).toThrow(/IMAP_PASSWORD_FILE \(command line\): cannot read .*missing: ENOENT/);
  });
});
