/** The checks service as its callers (the API, the CI hook, the testers, the pages) see it, without HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  combinedStateAcross,
  combinedStateOf,
  combinedStateOfEach,
  combinedStateOfTrackings,
  createPatchCheck,
  createRangeCheck,
  createSeriesChecks,
  listChecks,
  rangeWithChecks,
} from '../../src/checks/service.js';
import type { DatabaseHandle } from '../../src/db/client.js';
import { MailStore } from '../../src/mail/store/mail-store.js';
import { createProject } from '../../src/mail/store/projects.js';
import { createTestDatabase } from '../helpers/db.js';
import { corpusMessages } from '../mail/corpus.js';
import { insertPublishedRange } from './fixtures.js';

let handle: DatabaseHandle;
let range: Awaited<ReturnType<typeof insertPublishedRange>>;
let unpublished: Awaited<ReturnType<typeof insertPublishedRange>>;
const page = { limit: 100, offset: 0 };

beforeAll(async () => {
  handle = await createTestDatabase();
  await createProject(handle.db, { linkName: 'demo', listId: 'demo.example.org' });
  // series 1: a cover letter and patches 1 and 2
  const raws = await corpusMessages('series/base-cover-letter.mbox');
  await new MailStore(handle.db).storeBatch(raws.map((raw) => ({ raw, listId: 'demo.example.org' })));
  range = await insertPublishedRange(handle.db);
  unpublished = await insertPublishedRange(handle.db, { step: 'branch' });

  const bot = { state: 'success', context: 'build' } as const;
  await createSeriesChecks(handle.db, 1, 'bot', bot);
  await createPatchCheck(handle.db, 2, 'bot', { state: 'fail', context: 'build', description: 'broke' });
  await createPatchCheck(handle.db, 2, 'lint', { state: 'warning', context: 'style' });
  await createRangeCheck(handle.db, range.publication.id, 'jenkins', { state: 'pending', context: 'build' });
  await createRangeCheck(handle.db, range.publication.id, 'jenkins', { state: 'success', context: 'build', target_url: 'https://ci.example.org/1' });
});
afterAll(async () => {
  await handle?.close();
});

describe('createSeriesChecks', () => {
  it('creates one check per patch, in patch order, and none for a series without patches', async () => {
    const created = await createSeriesChecks(handle.db, 1, 'other', { state: 'pending', context: 'boot' });
    expect(created.map((c) => [c.on, c.subjectId, c.state, c.context])).toEqual([
      ['patch', 1, 'pending', 'boot'],
      ['patch', 2, 'pending', 'boot'],
    ]);
    expect(await createSeriesChecks(handle.db, 4242, 'other', { state: 'pending', context: 'boot' })).toEqual([]);
  });
});

describe('listChecks', () => {
  it('lists one side at a time, by subject ids, series or tracking', async () => {
    const patch2 = await listChecks(handle.db, { on: 'patch', ids: [2] }, {}, page);
    expect(patch2.rows.map((c) => [c.user, c.context, c.state])).toEqual([
      ['bot', 'build', 'success'],
      ['bot', 'build', 'fail'],
      ['lint', 'style', 'warning'],
      ['other', 'boot', 'pending'],
    ]);
    expect(patch2.rows.every((c) => c.on === 'patch' && c.subjectId === 2)).toBe(true);
    expect((await listChecks(handle.db, { series: 1 }, {}, page)).count).toBe(6);

    const byRange = await listChecks(handle.db, { on: 'range', ids: [range.publication.id] }, {}, page);
    expect(byRange.rows.map((c) => [c.on, c.subjectId, c.state, c.targetUrl])).toEqual([
      ['range', range.publication.id, 'pending', null],
      ['range', range.publication.id, 'success', 'https://ci.example.org/1'],
    ]);
    expect(await listChecks(handle.db, { tracking: range.tracking.id }, {}, page)).toEqual(byRange);
    // a whole side: the range side never shows patch checks
    expect((await listChecks(handle.db, { on: 'range' }, {}, page)).count).toBe(2);
    expect((await listChecks(handle.db, { on: 'patch' }, {}, page)).count).toBe(6);
  });

  it('an empty list of subjects matches nothing, not everything', async () => {
    expect(await listChecks(handle.db, { on: 'patch', ids: [] }, {}, page)).toEqual({ count: 0, rows: [] });
    expect(await listChecks(handle.db, { series: 4242 }, {}, page)).toEqual({ count: 0, rows: [] });
    expect(await listChecks(handle.db, { tracking: unpublished.tracking.id + 1000 }, {}, page)).toEqual({ count: 0, rows: [] });
  });

  it('filters by user, state, context and date; counts past the page; newest first on request', async () => {
    const s = { series: 1 };
    expect((await listChecks(handle.db, s, { user: 'lint' }, page)).rows.map((c) => c.context)).toEqual(['style']);
    expect((await listChecks(handle.db, s, { state: 'fail' }, page)).rows.map((c) => c.description)).toEqual(['broke']);
    expect((await listChecks(handle.db, s, { context: 'build' }, page)).count).toBe(3);
    expect((await listChecks(handle.db, s, { since: new Date(Date.now() + 60_000) }, page)).count).toBe(0);
    expect((await listChecks(handle.db, s, { before: new Date(Date.now() + 60_000) }, page)).count).toBe(6);

    const first = await listChecks(handle.db, s, {}, { limit: 2, offset: 0 });
    const newest = await listChecks(handle.db, s, {}, { limit: 2, offset: 0, newestFirst: true });
    expect(first.count).toBe(6);
    expect(first.rows).toHaveLength(2);
    expect(newest.rows[0]!.id).toBeGreaterThan(newest.rows[1]!.id);
    expect(newest.rows[0]!.id).toBeGreaterThan(first.rows[1]!.id);
  });
});

describe('combined states', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

  it("across subjects, each subject's contexts count apart", () => {
    const checks = [
      { id: 1, subjectId: 1, user: 'ci', context: 'build', state: 'fail', date: at(1) },
      { id: 2, subjectId: 2, user: 'ci', context: 'build', state: 'success', date: at(2) },
    ];
    // patch 2's later pass must not hide patch 1's failure
    expect(combinedStateAcross(checks)).toBe('fail');
    expect(combinedStateAcross([])).toBe('pending');
  });

  it('of a series, a range, a tracking, or each subject', async () => {
    // patch 1: build success, boot pending; patch 2: build fail (the latest bot/build), style warning, boot pending
    expect(await combinedStateOf(handle.db, { series: 1 })).toEqual({ state: 'fail', checks: 6 });
    expect(await combinedStateOf(handle.db, { on: 'patch', ids: [1] })).toEqual({ state: 'pending', checks: 2 });
    expect(await combinedStateOf(handle.db, { on: 'range', ids: [range.publication.id] })).toEqual({ state: 'success', checks: 2 });
    expect(await combinedStateOf(handle.db, { tracking: range.tracking.id })).toEqual({ state: 'success', checks: 2 });
    await expect(combinedStateOf(handle.db, { on: 'patch' })).rejects.toMatchObject({ code: 'invalid_request', field: 'patch' });

    const each = await combinedStateOfEach(handle.db, 'patch', [1, 2, 4242]);
    expect([...each]).toEqual([
      [1, 'pending'],
      [2, 'fail'],
      [4242, 'pending'],
    ]);
    const trackings = await combinedStateOfTrackings(handle.db, [range.tracking.id, unpublished.tracking.id]);
    expect([...trackings]).toEqual([
      [range.tracking.id, 'success'],
      [unpublished.tracking.id, null],
    ]);
  });
});

describe('rangeWithChecks', () => {
  it('a published range with its checks oldest first; not_found for an unknown range', async () => {
    const { range: row, checks } = await rangeWithChecks(handle.db, range.publication.id);
    expect(row).toMatchObject({ id: range.publication.id, trackingId: range.tracking.id, prUrl: range.publication.prUrl });
    expect(checks.map((c) => c.state)).toEqual(['pending', 'success']);
    await expect(rangeWithChecks(handle.db, 424242)).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });
});
