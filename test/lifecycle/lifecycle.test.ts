/**
 * Following the bot's PRs (merged, closed, upstream moving with UPDATE_OPEN_PR off/on, a human pushing to
 * the branch) and the comment commands, with the real engine over an in-memory forge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommentEvent } from '../../src/lifecycle/events.js';
import { parseCommand } from '../../src/lifecycle/commands.js';
import { createWorld as create, openWorldDb, REPO, UPSTREAM, type World, type WorldDb } from './world.js';

let w: World;
let db: WorldDb;
beforeAll(async () => {
  db = await openWorldDb();
});
afterAll(() => db.close());
const createWorld = (options: Parameters<typeof create>[1] = {}) => create(db, options);

const pr = (number: string, merged: boolean, head: string) => ({ repo: REPO, number, merged, mergedAt: merged ? new Date('2026-11-22T01:00:00Z') : null, head });
const comment = (body: string, user = 'maintainer', target: CommentEvent['target'] = { kind: 'pull', id: '1' }): CommentEvent => ({ repo: REPO, target, user, isBot: false, body });

describe('PR closed', () => {
  it('merged: the row records it, the issue is closed with a comment, the temp branch is deleted', async () => {
    w = await createWorld();
    await w.advance(2);
    const [row] = await w.issues();
    expect(w.forge.branches.has(row!.tempBranch!)).toBe(true);

    expect(await w.lifecycle.pullClosed(pr('1', true, row!.tempBranch!))).toBe('merged');
    const [after] = await w.issues();
    expect(after).toMatchObject({ state: 'merged' });
    expect(after!.mergedAt?.toISOString()).toBe('2026-11-22T01:00:00.000Z');
    expect(w.forge.issues[0]!.state).toBe('closed');
    expect(w.forge.issues[0]!.comments.join('\n')).toMatch(/was merged/);
    expect(w.forge.branches.has(row!.tempBranch!)).toBe(false);

    // a redelivery changes nothing and writes nothing
    const writes = w.forge.writes.length;
    expect(await w.lifecycle.pullClosed(pr('1', true, row!.tempBranch!))).toBe('ignored');
    expect(w.forge.writes.length).toBe(writes);
  });

  it('a PR the bot did not open is ignored', async () => {
    w = await createWorld();
    await w.advance(1);
    expect(await w.lifecycle.pullClosed(pr('99', true, 'feature'))).toBe('ignored');
    expect(await w.lifecycle.pullClosed(pr('1', true, 'someone-else/branch'))).toBe('ignored');
    expect((await w.issues())[0]!.state).toBe('open');
  });

  it('closed unmerged: the range is rejected, not proposed again, and recreate proposes it in a new PR', async () => {
    w = await createWorld();
    await w.advance(2);
    const [row] = await w.issues();
    expect(await w.lifecycle.pullClosed(pr('1', false, row!.tempBranch!))).toBe('rejected');
    expect((await w.issues())[0]!.state).toBe('rejected');
    expect((await w.publications())[0]!.step).toBe('rejected');
    expect(w.forge.issues[0]!.comments.join('\n')).toMatch(/recreate/);

    // nothing new upstream: a scan proposes nothing
    expect(await w.engine.scanNow(w.t.id)).toMatchObject({ action: 'up_to_date' });
    expect(w.forge.pulls).toHaveLength(1);

    // a reader cannot recreate it; a maintainer can
    w.extras.permissions.set('maintainer', 'maintain');
    w.extras.permissions.set('visitor', 'read');
    expect(await w.lifecycle.comment(comment('/patch-tracking recreate', 'visitor', { kind: 'issue', id: row!.issue }))).toMatchObject({ outcome: 'no_permission' });
    expect(w.forge.pulls).toHaveLength(1);
    const outcome = await w.lifecycle.comment(comment('Please try again.\n/patch-tracking recreate', 'maintainer', { kind: 'issue', id: row!.issue }));
    expect(outcome).toMatchObject({ command: 'recreate', outcome: 'done' });
    expect(w.forge.pulls).toHaveLength(2);
    expect(w.forge.issues).toHaveLength(2);
    const second = w.forge.pulls[1]!;
    expect(second.head).toBe(`${row!.tempBranch}-r1`);
    expect(second.state).toBe('open');
    expect(w.forge.branches.get(second.head)!.files.has(`${(await w.publications())[0]!.commits[0]!.sha}.patch`)).toBe(true);
    const rows = await w.issues();
    expect(rows.map((r) => r.state)).toEqual(['rejected', 'open']);
    expect(rows[1]).toMatchObject({ prNumber: second.number, rangeFrom: row!.rangeFrom, rangeTo: row!.rangeTo });
    expect((await w.publications())[0]!.step).toBe('done');
    expect(w.forge.issues[0]!.comments.at(-1)).toMatch(/^@maintainer proposed the upstream commits .* again/);

    // asking twice does not open a third PR
    expect(await w.lifecycle.comment(comment('/patch-tracking recreate', 'maintainer', { kind: 'issue', id: row!.issue }))).toMatchObject({ outcome: 'failed' });
    expect(w.forge.pulls).toHaveLength(2);
  });
});

describe('upstream moves while the PR is open', () => {
  it('UPDATE_OPEN_PR=false (default): a new PR for the new range', async () => {
    w = await createWorld();
    await w.advance(1);
    await w.advance(2);
    expect(w.forge.pulls).toHaveLength(2);
    expect((await w.issues()).map((r) => r.state)).toEqual(['open', 'open']);
  });

  it('UPDATE_OPEN_PR=true: the open PR gets a new commit, re-edited spec and bodies, and its range end moves', async () => {
    w = await createWorld({ updateOpenPr: true });
    await w.advance(1);
    const before = (await w.publications())[0]!;
    const result = await w.advance(2);
    expect(result).toMatchObject({ action: 'published' });
    expect(w.forge.pulls).toHaveLength(1);
    expect(w.forge.issues).toHaveLength(1);

    const [p] = await w.publications();
    const head = (await w.tracking()).scmCommit;
    expect(p!.rangeTo).toBe(head);
    expect(p!.rangeFrom).toBe(before.rangeFrom);
    expect(p!.commits).toHaveLength(3);
    expect(p!.patchFiles).toHaveLength(3);
    expect((await w.issues())[0]!.rangeTo).toBe(head);
    const branch = w.forge.branches.get(p!.tempBranch)!;
    expect(p!.commitSha).toBe(branch.head);
    for (const file of p!.patchFiles) expect(branch.files.has(file)).toBe(true);
    // the spec edited once from the target branch: one Release bump, every patch listed once
    const spec = branch.files.get('lib.spec')!;
    expect(spec).toMatch(/^Release: 4$/m);
    expect(spec.match(/^Patch\d+:/gm)).toHaveLength(3);
    expect(spec.match(/^\* .* - 1\.2-4$/gm)).toHaveLength(1);
    expect(w.forge.issues[0]!.body).toContain(p!.commits[2]!.sha.slice(0, 7));
    expect(w.forge.issues[0]!.body).toContain(`range=${p!.rangeFrom}..${head}`);
    expect(w.forge.pulls[0]!.body).toContain('(3)');
    expect(w.forge.writes.filter((x) => x.startsWith('commit'))).toHaveLength(2);

    // and once more: still one PR
    await w.advance(1);
    expect(w.forge.pulls).toHaveLength(1);
    expect((await w.publications())[0]!.commits).toHaveLength(4);
  });

  it('UPDATE_OPEN_PR=true but the PR was merged before its webhook arrived: a new PR, the merged branch untouched', async () => {
    w = await createWorld({ updateOpenPr: true });
    await w.advance(1);
    const [p] = await w.publications();
    (w.forge.pulls[0] as { state: string }).state = 'merged';
    await w.advance(1);
    expect(w.forge.pulls).toHaveLength(2);
    expect(w.forge.branches.get(p!.tempBranch)!.head).toBe(p!.commitSha);
  });

  it('UPDATE_OPEN_PR=true: a run that died right after its commit is finished by the next one, not taken for a human push', async () => {
    w = await createWorld({ updateOpenPr: true });
    await w.advance(1);
    w.forge.failNext('commitFiles', 'after');
    await expect(w.advance(2)).rejects.toThrow(/injected failure/);
    expect((await w.publications())[0]!.commits).toHaveLength(1);
    expect(await w.engine.scanNow(w.t.id)).toMatchObject({ action: 'published' });
    expect(w.forge.pulls).toHaveLength(1);
    const [p] = await w.publications();
    expect(p!.commits).toHaveLength(3);
    expect(p!.commitSha).toBe(w.forge.branches.get(p!.tempBranch)!.head);
    expect(w.forge.writes.filter((x) => x.startsWith('commit'))).toHaveLength(2);
    expect(w.forge.writes).not.toContain('pr 2');
  });

  it('UPDATE_OPEN_PR=true but a human pushed to the branch: a new PR, and the old one says why', async () => {
    w = await createWorld({ updateOpenPr: true });
    await w.advance(1);
    const [p] = await w.publications();
    w.forge.branches.get(p!.tempBranch)!.head = 'f'.repeat(40); // someone else's commit
    await w.advance(2);
    expect(w.forge.pulls).toHaveLength(2);
    expect(w.forge.writes).toContain('comment pull 1');
    expect((await w.publications())[0]!.commits).toHaveLength(1);
    expect((await w.issues()).map((r) => r.state)).toEqual(['open', 'open']);
  });
});

describe('comment commands', () => {
  it('parses only a line that starts with the command', () => {
    expect(parseCommand('/patch-tracking retry')).toBe('retry');
    expect(parseCommand('thanks!\n  /patch-tracking   STATUS  now')).toBe('status');
    expect(parseCommand('/patch-tracking')).toBe('');
    expect(parseCommand('comment `/patch-tracking recreate` to retry')).toBeNull();
    expect(parseCommand('/patch-trackingfoo')).toBeNull();
  });

  it('pause, resume, status and retry from a writer; read users and unknown commands get a polite no', async () => {
    w = await createWorld();
    await w.advance(1);
    w.extras.permissions.set('maintainer', 'write');
    w.extras.permissions.set('reader', 'read');
    const replies = () => w.forge.writes.filter((x) => x === 'comment pull 1').length;

    expect(await w.lifecycle.comment(comment('/patch-tracking pause', 'reader'))).toMatchObject({ outcome: 'no_permission' });
    expect((await w.tracking()).enabled).toBe(true);

    const paused = await w.lifecycle.comment(comment('/patch-tracking pause'));
    expect(paused?.reply).toMatch(/paused tracking/);
    expect(await w.tracking()).toMatchObject({ enabled: false, status: 'paused' });

    const status = await w.lifecycle.comment(comment('/patch-tracking status'));
    expect(status?.reply).toContain('| tracking | status | last error | last head | next attempt | open PRs |');
    expect(status?.reply).toMatch(/\| paused \|/);
    expect(status?.reply).toContain('https://gitee.example/pulls/1');

    expect(await w.lifecycle.comment(comment('/patch-tracking resume'))).toMatchObject({ outcome: 'done' });
    expect(await w.tracking()).toMatchObject({ enabled: true });

    // retry clears the backoff and scans now
    await w.db.execute(`update tracking set consecutive_failures = 3, next_attempt_at = now() + interval '1 day', status = 'error'`);
    w.source.push(UPSTREAM, 'main', 1);
    const retried = await w.lifecycle.comment(comment('/patch-tracking retry'));
    expect(retried?.reply).toMatch(/published .*pulls\/2/);
    expect(await w.tracking()).toMatchObject({ consecutiveFailures: 0, nextAttemptAt: null, status: 'ok' });

    const unknown = await w.lifecycle.comment(comment('/patch-tracking rebase'));
    expect(unknown).toMatchObject({ outcome: 'unknown_command' });
    expect(unknown!.reply).toMatch(/`rebase` is not a command I know.*\/patch-tracking status/);
    // the unknown command was answered without asking the forge about permissions
    expect(w.extras.permissionAsked.filter((u) => u === 'maintainer')).toHaveLength(4);
    expect(replies()).toBe(6);
  });

  it('comments that are not commands, bots, and other PRs are left alone', async () => {
    w = await createWorld();
    await w.advance(1);
    w.extras.permissions.set('maintainer', 'admin');
    expect(await w.lifecycle.comment(comment('LGTM'))).toBeNull();
    expect(await w.lifecycle.comment({ ...comment('/patch-tracking pause'), isBot: true })).toBeNull();
    expect(await w.lifecycle.comment(comment('/patch-tracking pause', 'maintainer', { kind: 'pull', id: '42' }))).toBeNull();
    expect(w.forge.writes.some((x) => x.startsWith('comment'))).toBe(false);
    expect((await w.tracking()).enabled).toBe(true);
  });
});

describe('push', () => {
  it('a push to the tracked upstream branch queues the tracking and the queue run publishes', async () => {
    w = await createWorld();
    w.source.push(UPSTREAM, 'main', 1);
    const event = { urls: ['https://GIT.example.org/lib', 'git@git.example.org:lib.git'], fullName: 'lib', forge: 'gitee' as const, ref: 'refs/heads/main', deleted: false };
    expect(await w.lifecycle.push({ ...event, ref: 'refs/heads/other' })).toEqual([]);
    expect(await w.lifecycle.push({ ...event, ref: 'refs/tags/v1' })).toEqual([]);
    expect(w.kicked).toHaveLength(0);
    expect(await w.lifecycle.push(event)).toEqual([w.t.id]);
    expect(w.kicked).toHaveLength(1);
    expect(await w.kicked[0]).toBe(1);
    expect(w.forge.pulls).toHaveLength(1);
  });
});

describe('the engine\'s onPublished hook', () => {
  it('is called once per published range (and per extension); a failing hook does not fail the run', async () => {
    const seen: string[] = [];
    w = await createWorld({
      updateOpenPr: true,
      onPublished: async (_t, p) => {
        seen.push(`${p.prNumber}:${p.commits.length}`);
        throw new Error('verification service down');
      },
    });
    expect(await w.advance(2)).toMatchObject({ action: 'published' });
    expect(await w.advance(1)).toMatchObject({ action: 'published' });
    expect(seen).toEqual(['1:2', '1:3']);
    expect(await w.tracking()).toMatchObject({ status: 'ok', lastError: null });
    // a rerun of an already published range is not "published" again
    expect(await w.engine.scanNow(w.t.id)).toMatchObject({ action: 'up_to_date' });
    expect(seen).toHaveLength(2);
  });
});
