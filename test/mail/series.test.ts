import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMbox } from '../../src/mail/mbox.js';
import { parseMail, type ParsedMail } from '../../src/mail/parse.js';
import {
  decideCoverSeries,
  decidePatchSeries,
  findPreviousVersion,
  SeriesAssembler,
  seriesNameAfterCover,
  seriesNameAfterPatch,
  type SeriesLookup,
  type SeriesRecord,
} from '../../src/mail/series.js';
import { CORPUS, corpusMessages, SERIES_EXPECTATIONS } from './corpus.js';

async function parsedMails(raws: Buffer[]): Promise<ParsedMail[]> {
  return raws.map((raw) => {
    const r = parseMail(raw);
    if (!r.ok) throw new Error(r.reason);
    return r.mail;
  });
}

interface Run {
  counts: [number, number, number];
  assembler: SeriesAssembler;
}

async function assemble(raws: Buffer[]): Promise<Run> {
  const assembler = new SeriesAssembler();
  const counts: [number, number, number] = [0, 0, 0];
  for (const m of await parsedMails(raws)) {
    const o = assembler.add(m);
    counts[o.class === 'cover' ? 0 : o.class === 'patch' ? 1 : 2]++;
  }
  return { counts, assembler };
}

const EXPECTED = SERIES_EXPECTATIONS;

describe('series fixtures give the split README.fixtures.md lists', () => {
  for (const [file, want] of Object.entries(EXPECTED)) {
    it(file, async () => {
      const { counts, assembler } = await assemble(await corpusMessages(`series/${file}`));
      expect(counts).toEqual(want.counts);
      const series = assembler.result();
      expect(series.map((s) => s.patches.length)).toEqual(want.patches);
      if (want.covers) expect(series.map((s) => (s.cover ? 1 : 0))).toEqual(want.covers);
      if (want.receivedAll) expect(series.map((s) => s.receivedAll)).toEqual(want.receivedAll);
    });
  }
});

describe('series names, completeness, versions', () => {
  it('base-out-of-order: no name after 2/2, patch 1’s name after 1/2, the cover’s title after the cover', async () => {
    const assembler = new SeriesAssembler();
    const names: Array<string | null> = [];
    for (const m of await parsedMails(await corpusMessages('series/base-out-of-order.mbox'))) {
      assembler.add(m);
      names.push(assembler.nameOf(0));
    }
    expect(names).toEqual([null, '[1/2] test: Add some lorem ipsum', 'A sample series']);
  });

  it('base-cover-letter: named after the cover from the first mail on', async () => {
    const assembler = new SeriesAssembler();
    for (const m of await parsedMails(await corpusMessages('series/base-cover-letter.mbox'))) {
      assembler.add(m);
      expect(assembler.nameOf(0)).toBe('A sample series');
    }
  });

  it('a cover title containing "]" is kept whole, a custom name is never overwritten', () => {
    expect(seriesNameAfterCover('[1/2] a: b', 'fix a[0] bug', '[1/2] a: b')).toBe('fix a[0] bug');
    expect(seriesNameAfterCover('My custom name', 'fix a[0] bug', '[1/2] a: b')).toBe('My custom name');
    expect(seriesNameAfterPatch(null, '[2/2] x', 2)).toBeNull();
    expect(seriesNameAfterPatch('kept', '[1/2] x', 1)).toBe('kept');
  });

  it('base-no-cover-letter: the name is patch 1’s full name, prefixes included', async () => {
    const { assembler } = await assemble(await corpusMessages('series/base-no-cover-letter.mbox'));
    expect(assembler.result()[0]!.name).toBe('[1/2] test: Add some lorem ipsum');
  });

  it('base-extra-patches and base-incomplete report extra and missing numbers', async () => {
    const extra = (await assemble(await corpusMessages('series/base-extra-patches.mbox'))).assembler.result()[0]!;
    expect(extra).toMatchObject({ total: 2, receivedTotal: 3, receivedAll: true, extra: [3], missing: [] });
    const incomplete = (await assemble(await corpusMessages('series/base-incomplete.mbox'))).assembler.result()[0]!;
    expect(incomplete).toMatchObject({ total: 2, receivedTotal: 1, receivedAll: false, missing: [2] });
  });

  it('v2 knows v1: same submitter and title (revision-basic, bugs-nocover), a re-send is marked as such', async () => {
    const basic = (await assemble(await corpusMessages('series/revision-basic.mbox'))).assembler.result();
    expect(basic.map((s) => s.version)).toEqual([1, 2]);
    expect(basic[1]!.previous).toEqual({ id: basic[0]!.id, reason: 'subject', resend: false });
    expect(basic[0]!.previous).toBeNull();

    const nocover = (await assemble(await corpusMessages('series/bugs-nocover.mbox'))).assembler.result();
    expect(nocover[1]!.previous).toMatchObject({ id: nocover[0]!.id, reason: 'subject' });

    // v1 had a cover letter, v2 has none: the patch titles match
    const nocoverV2 = (await assemble(await corpusMessages('series/revision-no-cover-letter.mbox'))).assembler.result();
    expect(nocoverV2[1]!.previous).toEqual({ id: nocoverV2[0]!.id, reason: 'patches', resend: false });

    const unlabeled = (await assemble(await corpusMessages('series/revision-unlabeled.mbox'))).assembler.result();
    expect(unlabeled[1]!.previous).toEqual({ id: unlabeled[0]!.id, reason: 'subject', resend: true });
  });

  it('Supersedes: and change-id: link versions whatever the subject', () => {
    const base = { submitter: 'a@x', version: 1, date: '2025-01-01T00:00:00.000Z', changeId: null, supersedes: [] as string[] };
    const v1 = { ...base, id: 1, name: 'Old title', msgids: ['<v1-cover@x>', '<v1-1@x>'] };
    const v2 = { ...base, id: 2, name: 'New title', version: 2, date: '2025-02-01T00:00:00.000Z', msgids: ['<v2@x>'], supersedes: ['<v1-cover@x>'] };
    expect(findPreviousVersion(v2, [v1, v2])).toEqual({ id: 1, reason: 'supersedes', resend: false });
    const b1 = { ...v1, id: 3, changeId: '20250101-carry-abc', submitter: 'other@x' };
    const b2 = { ...v2, id: 4, supersedes: [], changeId: '20250101-carry-abc' };
    expect(findPreviousVersion(b2, [b1, b2])).toEqual({ id: 3, reason: 'change-id', resend: false });
    // another submitter's series with the same title is not a previous version
    expect(findPreviousVersion({ ...v2, supersedes: [], name: 'Old title', submitter: 'b@x' }, [v1])).toBeNull();
  });

  it('Depends-on: in a cover letter and in patches is recorded and resolved to the series holding that message', async () => {
    const base = await corpusMessages('series/dependency-base-patch.mbox');
    const baseCover = '<20240610210912.161735-1-ahassick@iol.unh.edu>';
    const basePatch = '<20240610210912.161735-3-ahassick@iol.unh.edu>';
    for (const [template, tokens] of [
      ['dependency-one-cover.mbox.template', { depends_token: baseCover }],
      ['dependency-one-first-patch.mbox.template', { depends_token: basePatch }],
    ] as const) {
      const text = readFileSync(resolve(CORPUS, 'series', template), 'latin1').replace(/\{(\w+)\}/g, (_, k: string) => (tokens as Record<string, string>)[k]!);
      const raws: Buffer[] = [...base];
      for await (const m of readMbox([Buffer.from(text, 'latin1')])) raws.push(m.raw);
      const series = (await assemble(raws)).assembler.result();
      expect(series).toHaveLength(2);
      expect(series[1]!.dependsOn).toEqual([Object.values(tokens)[0]]);
      expect(series[1]!.dependencies).toEqual([series[0]!.id]);
      expect(series[0]!.dependencies).toEqual([]);
    }
    const multi = readFileSync(resolve(CORPUS, 'series/dependency-multi-2.mbox.template'), 'latin1')
      .replace('{depends_token_1}', baseCover)
      .replace('{depends_token_2}', '<not-here@example.org>');
    const raws: Buffer[] = [...base];
    for await (const m of readMbox([Buffer.from(multi, 'latin1')])) raws.push(m.raw);
    const series = (await assemble(raws)).assembler.result();
    expect(series[1]!.dependsOn).toEqual([baseCover, '<not-here@example.org>']);
    expect(series[1]!.dependencies).toEqual([series[0]!.id]);
  });
});

describe('incremental decisions against a lookup (how the storage layer uses them)', () => {
  const record = (id: number, date: string, over: Partial<SeriesRecord> = {}): SeriesRecord => ({ id, date, submitter: 'a@x', version: 1, total: 2, ...over });
  const lookup = (refs: Record<string, SeriesRecord>, byMarkers: SeriesRecord[], numbers: Record<number, number[]> = {}): SeriesLookup => ({
    seriesByReference: (m) => refs[m],
    seriesByMarkers: (q) => byMarkers.filter((s) => s.submitter === q.submitter && s.version === q.version && s.total === q.total && s.date! >= q.from && s.date! <= q.to),
    hasPatchNumber: (id, n) => (numbers[Number(id)] ?? []).includes(n),
  });
  const mail = { msgid: '<p2@x>', refs: ['<c@x>'], date: '2025-01-01T10:05:00.000Z', submitter: 'a@x', version: 1, seriesMarker: [2, 2] as [number, number] };

  it('joins the series a reference is registered to', () => {
    const s = record(7, '2025-01-01T10:00:00.000Z');
    expect(decidePatchSeries(mail, lookup({ '<c@x>': s }, []))).toEqual({ action: 'join', seriesId: 7, number: 2 });
  });

  it('starts a new series when the found one already has that number, registering refs and msgid', () => {
    const s = record(7, '2025-01-01T10:00:00.000Z');
    expect(decidePatchSeries(mail, lookup({ '<c@x>': s }, [], { 7: [2] }))).toMatchObject({ action: 'create', number: 2, total: 2, references: ['<c@x>', '<p2@x>'] });
  });

  it('falls back to markers within 20 minutes, and not beyond', () => {
    const near = record(3, '2025-01-01T09:50:00.000Z');
    expect(decidePatchSeries({ ...mail, refs: [] }, lookup({}, [near]))).toEqual({ action: 'join', seriesId: 3, number: 2 });
    const far = record(4, '2025-01-01T09:40:00.000Z');
    expect(decidePatchSeries({ ...mail, refs: [] }, lookup({}, [far]))).toMatchObject({ action: 'create' });
  });

  it('a reference to another version’s series counts only within the window (Patchwork’s check never fires)', () => {
    const v1 = record(5, '2024-12-01T00:00:00.000Z');
    const v2mail = { ...mail, version: 2, seriesMarker: [3, 3] as [number, number] };
    expect(decidePatchSeries(v2mail, lookup({ '<c@x>': v1 }, []))).toMatchObject({ action: 'create', version: 2, total: 3 });
  });

  it('a cover joins the series its own msgid was registered to by earlier patches', () => {
    const s = record(9, '2025-01-01T10:00:00.000Z');
    const cover = { ...mail, msgid: '<c@x>', refs: [], seriesMarker: [0, 2] as [number, number] };
    expect(decideCoverSeries(cover, lookup({ '<c@x>': s }, []))).toEqual({ action: 'join', seriesId: 9, number: null });
    expect(decideCoverSeries(cover, lookup({}, []))).toMatchObject({ action: 'create', total: 2, references: ['<c@x>'] });
  });

  it('an unnumbered patch always starts its own series', () => {
    expect(decidePatchSeries({ ...mail, seriesMarker: [null, null] }, lookup({ '<c@x>': record(1, mail.date) }, []))).toMatchObject({ action: 'create', number: 1, total: 1 });
  });
});
