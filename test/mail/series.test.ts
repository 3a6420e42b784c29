import { describe, expect, it } from 'vitest';
import {
  decideCoverSeries,
  decidePatchSeries,
  findPreviousVersion,
  seriesNameAfterCover,
  seriesNameAfterPatch,
  type SeriesLookup,
  type SeriesRecord,
} from '../../src/mail/series.js';

// The corpus series stored through the MailStore (names, completeness, versions, dependencies) are
// tested in test/mail-store/series.test.ts and corpus.test.ts; here the pure decisions they are made of.

describe('series names and versions', () => {
  it('a cover title containing "]" is kept whole, a custom name is never overwritten', () => {
    expect(seriesNameAfterCover('[1/2] a: b', 'fix a[0] bug', '[1/2] a: b')).toBe('fix a[0] bug');
    expect(seriesNameAfterCover('My custom name', 'fix a[0] bug', '[1/2] a: b')).toBe('My custom name');
    expect(seriesNameAfterPatch(null, '[2/2] x', 2)).toBeNull();
    expect(seriesNameAfterPatch('kept', '[1/2] x', 1)).toBe('kept');
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
