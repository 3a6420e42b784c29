import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashDiff } from '../../src/mail/hash.js';
import { readMbox } from '../../src/mail/mbox.js';
import { parseMail, type ParsedMail } from '../../src/mail/parse.js';
import { mailSeries } from '../../src/db/schema/mail.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createProject } from '../../src/mail/store/projects.js';
import { createTestDatabase } from '../helpers/db.js';

const env: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Rafał Miłecki',
  GIT_AUTHOR_EMAIL: 'rafal@example.org',
  GIT_COMMITTER_NAME: 'Rafał Miłecki',
  GIT_COMMITTER_EMAIL: 'rafal@example.org',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function repo(): { dir: string; git: (...a: string[]) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'mail-git-'));
  dirs.push(dir);
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, env, maxBuffer: 1 << 26 }).toString('utf8');
  git('init', '-q', '-b', 'main');
  return { dir, git };
}

describe('git format-patch → parser → git apply', () => {
  it('extracts diffs that rebuild the tree (text, binary, rename, mode change, deletion) and hash like the commits', async () => {
    const { dir, git } = repo();
    writeFileSync(join(dir, 'a.txt'), 'one\ntwo\n');
    writeFileSync(join(dir, 'old-name.txt'), 'rename me\n'.repeat(20));
    writeFileSync(join(dir, 'gone.txt'), 'bye\n');
    writeFileSync(join(dir, 'run.sh'), 'echo hi\n');
    git('add', '.');
    git('commit', '-qm', 'base');
    const base = git('rev-parse', 'HEAD').trim();

    writeFileSync(join(dir, 'a.txt'), 'one\ntwo\nthree\n');
    writeFileSync(join(dir, 'pixel.bin'), Buffer.from([0, 1, 2, 3, 255, 254, 0, 7]));
    git('add', '.');
    git('commit', '-qm', 'text and binary\n\ndiff of the approach: binary first, then text.\n\nSigned-off-by: Rafał Miłecki <rafal@example.org>');
    git('mv', 'old-name.txt', 'new-name.txt');
    chmodSync(join(dir, 'run.sh'), 0o755);
    git('rm', '-q', 'gone.txt');
    git('add', '.');
    git('commit', '-qm', 'rename, chmod, delete');
    writeFileSync(join(dir, 'pixel.bin'), Buffer.from([9, 9, 0, 9]));
    git('commit', '-qam', 'binary only');

    const mbox = execFileSync('git', ['format-patch', '--stdout', '--binary', '--cover-letter', '--thread', '-v3', `${base}..HEAD`], { cwd: dir, env });
    const mails: ParsedMail[] = [];
    const raws: Buffer[] = [];
    for await (const m of readMbox([mbox])) {
      raws.push(m.raw);
      const r = parseMail(m.raw);
      if (!r.ok) throw new Error(r.reason);
      mails.push(r.mail);
    }
    expect(mails.map((m) => m.kind)).toEqual(['cover', 'patch', 'patch', 'patch']);
    expect(mails[1]!.content).toContain('diff of the approach: binary first, then text.');
    expect(mails[1]!.author).toEqual({ name: 'Rafał Miłecki', email: 'rafal@example.org' });

    const commits = git('rev-list', '--reverse', `${base}..HEAD`).trim().split('\n');
    git('checkout', '-q', base);
    mails.slice(1).forEach((m, i) => {
      writeFileSync(join(dir, 'p.diff'), m.diff!);
      git('apply', '--index', 'p.diff');
      git('commit', '-qm', m.title);
      expect(git('rev-parse', 'HEAD^{tree}')).toBe(git('rev-parse', `${commits[i]}^{tree}`));
      // the Patchwork hash of the mail's diff is the hash of the commit's own diff
      expect(m.hash).toBe(hashDiff(git('diff', '--binary', `${commits[i]}^`, commits[i]!)));
    });

    // stored as production stores a list's mails: one complete v3 series named after the cover letter
    const handle = await createTestDatabase();
    try {
      const project = await createProject(handle.db, { linkName: 'roundtrip', listId: 'roundtrip.example.org' });
      await new MailStore(handle.db).storeBatch(raws.map((raw) => ({ raw, listId: project.listId })));
      expect(await handle.db.select().from(mailSeries)).toMatchObject([{ version: 3, total: 3, receivedAll: true, name: '*** SUBJECT HERE ***' }]);
    } finally {
      await handle.close();
    }
  });
});
