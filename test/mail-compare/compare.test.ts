/**
 * Comparing two stored versions of a series against `git range-diff` of the commits they were made from:
 * through the upstream mirror (real range-diff on the applied series) and from the stored diffs alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareSeries, type SeriesComparison } from '../../src/mail/compare/compare.js';
import { LOCAL_UPSTREAMS_ALLOWED, makeTempDir, removeTempDirs } from '../helpers/git-repo.js';
import { mailStoreContext } from '../mail-store/context.js';
import { rangeDiffRows, twoVersions, type RangeDiffRow, type TwoVersions } from './series.js';

const ctx = mailStoreContext();
let versions: TwoVersions;
let other: TwoVersions;

/** Stores both versions in a new project; returns the id of v2's series. */
async function storeIn(extra: { scmUrl?: string }): Promise<number> {
  const project = await ctx.newProject(extra);
  const outcomes = await ctx.store.storeBatch(versions.mails(project.listId));
  expect(outcomes.map((o) => o.status)).toEqual(['cover', 'patch', 'patch', 'patch', 'cover', 'patch', 'patch', 'patch']);
  return (outcomes.at(-1) as { seriesId: number }).seriesId;
}

const MARK = { dropped: '<', added: '>', unchanged: '=', changed: '!' } as const;

function rows(result: SeriesComparison): RangeDiffRow[] {
  return result.patches.map((p) => ({ older: p.older?.position ?? null, mark: MARK[p.status], newer: p.newer?.position ?? null, interdiff: p.interdiff }));
}

beforeAll(() => {
  versions = twoVersions();
  other = twoVersions();
  // another history at the same URL shape: the series applies to neither its HEAD nor a commit it has
  other.upstream.commit('lib: rewrite', { files: { 'src/lib.c': 'int z;\n' } });
});
afterAll(() => removeTempDirs());

describe('compare two versions of a series', () => {
  it('the range-diff of the fixture pairs, drops and adds patches (the test is about something)', () => {
    expect(rangeDiffRows(versions.rangeDiff).map((r) => r.mark).sort()).toEqual(['!', '<', '=', '>']);
  });

  it('applies both versions to the upstream mirror and answers what git range-diff answers', async () => {
    const id = await storeIn({ scmUrl: versions.upstream.url });
    const result = await compareSeries(ctx.handle.db, id, undefined, { dataDir: makeTempDir('pt-data-'), upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED });
    expect(result.method).toBe('git-range-diff');
    expect(result.series.version).toBe(2);
    expect(result.with.version).toBe(1);
    expect(rows(result)).toEqual(rangeDiffRows(versions.rangeDiff));
  });

  it('without an upstream repository, compares the diffs and still answers what git range-diff answers', async () => {
    const id = await storeIn({});
    const result = await compareSeries(ctx.handle.db, id, undefined, { dataDir: makeTempDir('pt-data-'), upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED });
    expect(result.method).toBe('diff-compare');
    expect(result.reason).toMatch(/scm_url/);
    expect(rows(result)).toEqual(rangeDiffRows(versions.rangeDiff));
  });

  it('a series that does not apply to the upstream is compared by its diffs, saying why', async () => {
    const id = await storeIn({ scmUrl: other.upstream.url });
    const result = await compareSeries(ctx.handle.db, id, undefined, { dataDir: makeTempDir('pt-data-'), upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED });
    expect(result.method).toBe('diff-compare');
    expect(result.reason).toMatch(/does not apply/);
    expect(rows(result)).toEqual(rangeDiffRows(versions.rangeDiff));
  });

  it('fetches the upstream again when a series is newer than the HEAD the mirror saw', async () => {
    const dataDir = makeTempDir('pt-data-');
    const project = await ctx.newProject({ scmUrl: versions.upstream.url });
    const v2 = (await ctx.store.storeBatch(versions.mails(project.listId))).at(-1) as { seriesId: number };
    expect((await compareSeries(ctx.handle.db, v2.seriesId, undefined, { dataDir, upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED })).method).toBe('git-range-diff');

    // upstream moves on; a new series is made on the new HEAD and needs it to apply
    const repo = versions.upstream;
    repo.commit('docs: add a changelog', { files: { 'CHANGES.md': 'first\n' } });
    repo.checkout('v3', true);
    repo.commit('docs: extend the changelog', { files: { 'CHANGES.md': 'first\nsecond\n' } });
    repo.checkout('main');
    const out = makeTempDir('pt-fp-');
    repo.git('format-patch', '--quiet', '--thread', '-v3', '-o', out, 'main..v3');
    const v3 = (await ctx.store.storeBatch(readdirSync(out).map((f) => ({ raw: readFileSync(join(out, f)), listId: project.listId })))).at(-1) as { seriesId: number };

    const result = await compareSeries(ctx.handle.db, v3.seriesId, v2.seriesId, { dataDir, upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED });
    expect(result.method).toBe('git-range-diff');
    expect(result.patches.map((p) => p.status)).toEqual(['dropped', 'dropped', 'dropped', 'added']);
  });

  it('marks the pair that moved as reordered, and only that one', async () => {
    const id = await storeIn({});
    const result = await compareSeries(ctx.handle.db, id, undefined, {});
    const moved = result.patches.filter((p) => p.reordered).map((p) => p.newer?.name);
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatch(/docs: add notes|lib: add d/);
  });

  it('compares with an explicit other series, and refuses a series without an earlier version', async () => {
    const id = await storeIn({});
    const result = await compareSeries(ctx.handle.db, id, undefined, {});
    const older = result.with.id;
    const backwards = await compareSeries(ctx.handle.db, older, id, {});
    expect(backwards.patches.map((p) => MARK[p.status]).sort()).toEqual(['!', '<', '=', '>']);
    expect(backwards.patches.find((p) => p.status === 'added')?.newer?.name).toMatch(/lib: rename c/);
    await expect(compareSeries(ctx.handle.db, older, undefined, {})).rejects.toMatchObject({ code: 'no_previous_version', field: 'with' });
    await expect(compareSeries(ctx.handle.db, id, 999_999, {})).rejects.toMatchObject({ code: 'not_found', field: 'with' });
    await expect(compareSeries(ctx.handle.db, 999_999, undefined, {})).rejects.toMatchObject({ code: 'not_found' });
  });
});
