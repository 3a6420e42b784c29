/** Writes a decided batch in multi-row statements: one round trip per table, not per mail. */
import { sql, type SQL } from 'drizzle-orm';
import { mailPerson } from '../../db/schema/mail.js';
import { rowsOf } from '../../db/rows.js';
import { normalizeTitle } from '../subject.js';
import { sha256Hex } from './digest.js';
import type { CommentNode, CoverNode, DropNode, PatchNode, SeriesNode } from './nodes.js';
import type { VersionLink } from './series-links.js';
import type { Tx } from './snapshot.js';

export interface BatchWrites {
  series: SeriesNode[];
  seriesUpdates: SeriesNode[];
  references: Array<{ projectId: number; msgid: string; seriesId: number }>;
  covers: CoverNode[];
  patches: PatchNode[];
  comments: CommentNode[];
  patchCountDeltas: Array<{ id: number; acked: number; reviewed: number; tested: number }>;
  dependencies: Array<{ seriesId: number; dependencyId: number; position: number }>;
  /** series that became the new version of an older one: the older one's open patches are superseded */
  versionLinks: VersionLink[];
  drops: DropNode[];
  /** person id of a lower-cased address (every address of the batch's mails is known by now) */
  personOf: (email: string) => number;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATE_ALL = new RegExp(LONE_SURROGATE.source, 'g');

type ColumnType = 'int' | 'text' | 'bool' | 'timestamptz' | 'jsonb' | 'bytea';

/** JSON for PostgreSQL: binary as base64, and no NUL characters or lone surrogates (text cannot hold them). */
function toJson(rows: Array<Record<string, unknown>>): string {
  return JSON.stringify(rows, (_key, v: unknown) => {
    if (typeof v === 'string') {
      let text = v.includes('\0') ? v.replaceAll('\0', '') : v;
      if (LONE_SURROGATE.test(text)) text = text.replace(LONE_SURROGATE_ALL, '\ufffd');
      return text;
    }
    if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      return Buffer.from((v as { data: number[] }).data).toString('base64');
    }
    return v;
  });
}

type Columns = Array<[string, ColumnType]>;

/**
 * Rows as one JSON parameter read back as a table (json_to_recordset) named `alias`: one parameter per
 * statement whatever the row count, and no per-value query building on our side.
 */
function recordset(alias: string, columns: Columns, rows: Array<Record<string, unknown>>): SQL {
  const defs = columns.map(([c, t]) => `"${c}" ${t === 'bytea' ? 'text' : t}`).join(', ');
  const picked = rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const [c, t] of columns) {
      const v = r[c];
      out[c] = t === 'bytea' && Buffer.isBuffer(v) ? v.toString('base64') : v;
    }
    return out;
  });
  return sql`json_to_recordset(${toJson(picked)}::json) as ${sql.raw(alias)}(${sql.raw(defs)})`;
}

/** A multi-row insert of `rows` (one recordset). */
function insertStatement(table: string, columns: Columns, rows: Array<Record<string, unknown>>, onConflictDoNothing = false): SQL | null {
  if (!rows.length) return null;
  const names = sql.raw(columns.map(([c]) => `"${c}"`).join(', '));
  const values = sql.raw(columns.map(([c, t]) => (t === 'bytea' ? `decode(x."${c}", 'base64')` : `x."${c}"`)).join(', '));
  const conflict = onConflictDoNothing ? sql` on conflict do nothing` : sql``;
  return sql`insert into ${sql.raw(`"${table}"`)} (${names}) select ${values} from ${recordset('x', columns, rows)}${conflict}`;
}

/** The series columns a batch decides, alike for a new series and one that grows. */
const SERIES_STATE_COLUMNS: Columns = [
  ['name', 'text'], ['name_key', 'text'], ['cover_id', 'int'], ['received_total', 'int'], ['received_all', 'bool'], ['previous_version_id', 'int'],
  ['previous_version_reason', 'text'], ['change_id', 'text'], ['based_on', 'jsonb'], ['depends_on', 'jsonb'], ['supersedes', 'jsonb'],
];

function seriesState(s: SeriesNode) {
  return {
    name: s.name,
    name_key: s.name ? normalizeTitle(s.name) : null,
    cover_id: s.coverId,
    received_total: s.receivedTotal,
    received_all: s.receivedTotal > 0 && s.total <= s.receivedTotal,
    previous_version_id: s.previousVersionId,
    previous_version_reason: s.previousVersionReason,
    change_id: s.changeId,
    based_on: s.basedOn,
    depends_on: s.dependsOn,
    supersedes: s.supersedes,
  };
}

export interface IdCounts {
  messages: number;
  series: number;
  patches: number;
  covers: number;
  comments: number;
}

/** Reserve ids for the batch's new rows in one round trip, so rows can point at each other before insertion. */
export async function allocateIds(tx: Tx, n: IdCounts): Promise<Record<keyof IdCounts, number[]>> {
  const seq = (name: string, count: number): SQL => sql`array(select nextval(${name})::int from generate_series(1, ${count}::int))`;
  const result = await tx.execute(sql`select
    ${seq('mail_message_id_seq', n.messages)} as messages,
    ${seq('series_id_seq', n.series)} as series,
    ${seq('patch_id_seq', n.patches)} as patches,
    ${seq('cover_id_seq', n.covers)} as covers,
    ${seq('comment_id_seq', n.comments)} as comments`);
  const row = rowsOf<Record<keyof IdCounts, number[] | string>>(result)[0]!;
  const list = (v: number[] | string): number[] =>
    Array.isArray(v) ? v.map(Number) : v.replace(/[{}]/g, '').split(',').filter(Boolean).map(Number);
  return { messages: list(row.messages), series: list(row.series), patches: list(row.patches), covers: list(row.covers), comments: list(row.comments) };
}

/** Person ids for addresses, creating the missing people (a known person's name is kept). */
export async function upsertPeople(tx: Tx, people: Array<{ email: string; name: string | null }>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < people.length; i += 5000) {
    const rows = await tx
      .insert(mailPerson)
      .values(people.slice(i, i + 5000))
      .onConflictDoUpdate({ target: mailPerson.email, set: { name: sql`coalesce(${mailPerson.name}, excluded.name)` } })
      .returning({ id: mailPerson.id, email: mailPerson.email });
    for (const r of rows) out.set(r.email, r.id);
  }
  return out;
}

function idOf(x: number | { id: number } | null): number | null {
  return x === null ? null : typeof x === 'number' ? x : x.id;
}

function tagRows(projectId: number, node: PatchNode | CoverNode | CommentNode, target: { patch_id: number | null; cover_id: number | null; comment_id: number | null }) {
  return node.mail.trailers.map((t) => ({ project_id: projectId, ...target, name: t.key, value: t.value }));
}

export async function persistBatch(tx: Tx, w: BatchWrites): Promise<void> {
  const parts: Array<SQL | null> = [];
  parts.push(insertStatement(
    'mail_message',
    [['id', 'int'], ['project_id', 'int'], ['msgid', 'text'], ['kind', 'text'], ['patch_id', 'int'], ['cover_id', 'int'], ['raw', 'bytea']],
    [
      ...w.patches.map((p) => ({ id: p.messageId, project_id: p.projectId, msgid: p.mail.msgid, kind: 'patch', patch_id: p.id, cover_id: null, raw: p.raw })),
      ...w.covers.map((c) => ({ id: c.messageId, project_id: c.projectId, msgid: c.mail.msgid, kind: 'cover', patch_id: null, cover_id: c.id, raw: c.raw })),
      ...w.comments.map((c) => ({ id: c.messageId, project_id: c.projectId, msgid: c.mail.msgid, kind: 'comment', patch_id: idOf(c.parent.patch), cover_id: idOf(c.parent.cover), raw: c.raw })),
    ],
  ));

  parts.push(insertStatement(
    'series',
    [['id', 'int'], ['project_id', 'int'], ['date', 'timestamptz'], ['submitter_id', 'int'], ['version', 'int'], ['total', 'int'], ...SERIES_STATE_COLUMNS],
    w.series.map((s) => ({ id: s.id, project_id: s.projectId, date: s.date, submitter_id: s.submitterId, version: s.version, total: s.total, ...seriesState(s) })),
  ));
  parts.push(insertStatement(
    'series_reference',
    [['project_id', 'int'], ['msgid', 'text'], ['series_id', 'int']],
    w.references.map((r) => ({ project_id: r.projectId, msgid: r.msgid, series_id: r.seriesId })),
    true,
  ));
  parts.push(updateSeries(w.seriesUpdates));

  parts.push(insertStatement(
    'cover',
    [['id', 'int'], ['project_id', 'int'], ['message_id', 'int'], ['msgid', 'text'], ['name', 'text'], ['date', 'timestamptz'], ['submitter_id', 'int'], ['content', 'text'], ['series_id', 'int']],
    w.covers.map((c) => ({
      id: c.id,
      project_id: c.projectId,
      message_id: c.messageId,
      msgid: c.mail.msgid,
      name: c.mail.name,
      date: c.date,
      submitter_id: w.personOf(c.submitter),
      content: c.mail.content,
      series_id: c.series?.id ?? null,
    })),
  ));
  parts.push(insertStatement(
    'patch',
    [
      ['id', 'int'], ['project_id', 'int'], ['message_id', 'int'], ['msgid', 'text'], ['name', 'text'], ['name_key', 'text'], ['date', 'timestamptz'],
      ['submitter_id', 'int'], ['delegate_id', 'int'], ['state', 'text'], ['hash', 'text'], ['git_patch_id', 'text'], ['pull_url', 'text'], ['diff', 'text'], ['content', 'text'], ['series_id', 'int'],
      ['number', 'int'], ['acked_count', 'int'], ['reviewed_count', 'int'], ['tested_count', 'int'],
    ],
    w.patches.map((p) => ({
      id: p.id,
      project_id: p.projectId,
      message_id: p.messageId,
      msgid: p.mail.msgid,
      name: p.mail.name,
      name_key: normalizeTitle(p.mail.name) || null,
      date: p.date,
      submitter_id: w.personOf(p.submitter),
      delegate_id: p.delegateId,
      state: p.state,
      hash: p.mail.hash,
      git_patch_id: p.gitPatchId,
      pull_url: p.mail.pullUrl,
      diff: p.mail.diff,
      content: p.mail.content,
      series_id: p.series?.id ?? null,
      number: p.number,
      acked_count: p.counts.acked,
      reviewed_count: p.counts.reviewed,
      tested_count: p.counts.tested,
    })),
  ));
  parts.push(insertStatement(
    'comment',
    [['id', 'int'], ['project_id', 'int'], ['message_id', 'int'], ['msgid', 'text'], ['patch_id', 'int'], ['cover_id', 'int'], ['subject', 'text'], ['date', 'timestamptz'], ['submitter_id', 'int'], ['content', 'text']],
    w.comments.map((c) => ({
      id: c.id,
      project_id: c.projectId,
      message_id: c.messageId,
      msgid: c.mail.msgid,
      patch_id: idOf(c.parent.patch),
      cover_id: idOf(c.parent.cover),
      subject: c.mail.subject,
      date: c.date,
      submitter_id: w.personOf(c.submitter),
      content: c.mail.content,
    })),
  ));
  parts.push(updateCounts(w.patchCountDeltas));

  parts.push(insertStatement(
    'tag',
    [['project_id', 'int'], ['patch_id', 'int'], ['cover_id', 'int'], ['comment_id', 'int'], ['name', 'text'], ['value', 'text']],
    [
      ...w.patches.flatMap((p) => tagRows(p.projectId, p, { patch_id: p.id, cover_id: null, comment_id: null })),
      ...w.covers.flatMap((c) => tagRows(c.projectId, c, { patch_id: null, cover_id: c.id, comment_id: null })),
      ...w.comments.flatMap((c) => tagRows(c.projectId, c, { patch_id: idOf(c.parent.patch), cover_id: idOf(c.parent.cover), comment_id: c.id })),
    ],
  ));
  parts.push(insertStatement(
    'series_dependency',
    [['series_id', 'int'], ['dependency_id', 'int'], ['position', 'int']],
    w.dependencies.map((d) => ({ series_id: d.seriesId, dependency_id: d.dependencyId, position: d.position })),
    true,
  ));
  parts.push(insertStatement(
    'event',
    [['category', 'text'], ['project_id', 'int'], ['patch_id', 'int'], ['cover_id', 'int'], ['series_id', 'int'], ['payload', 'jsonb']],
    eventsOf(w),
  ));
  parts.push(insertStatement(
    'mail_dropped',
    [['project_id', 'int'], ['msgid', 'text'], ['reason', 'text'], ['sha256', 'text'], ['raw', 'bytea']],
    w.drops.map((d) => ({ project_id: d.projectId, msgid: d.msgid, reason: d.reason, sha256: sha256Hex(d.raw), raw: d.raw })),
    true,
  ));
  const statements = parts.filter((p): p is SQL => p !== null);
  if (!statements.length) return;
  // one round trip: every insert and update of the batch as data-modifying CTEs of one statement
  // (foreign keys are checked at the end of the statement, so rows may point at rows of sibling CTEs)
  await tx.execute(sql`with ${sql.join(statements.map((st, i) => sql`${sql.raw(`w${i}`)} as (${st})`), sql`, `)} select 1`);
  // after the batch's rows exist (an older version may be in this very batch)
  await supersedeOlderVersions(tx, w.versionLinks);
}

/**
 * Patchwork users' request (patchwork#327): when a new version of a series arrives, the older version's
 * patches still in an action-required state become `superseded` (a maintainer's decision is kept), each
 * with a patch-state-changed event naming the series that superseded it.
 */
async function supersedeOlderVersions(tx: Tx, links: VersionLink[]): Promise<void> {
  if (!links.length) return;
  const rows = links.map((l) => ({ series_id: l.seriesId, previous_id: l.previousId }));
  await tx.execute(sql`with moved as (
      update patch as p set state = 'superseded'
      from json_to_recordset(${toJson(rows)}::json) as v(series_id int, previous_id int), state as st
      where p.series_id = v.previous_id and st.project_id = p.project_id and st.slug = p.state and st.action_required
        and exists (select 1 from state as sup where sup.project_id = p.project_id and sup.slug = 'superseded')
      returning p.id, p.project_id, p.series_id, st.slug as previous, v.series_id as superseded_by
    )
    insert into event (category, project_id, patch_id, series_id, payload)
    select 'patch-state-changed', project_id, id, series_id, jsonb_build_object('previous', previous, 'current', 'superseded', 'superseded_by', superseded_by)
    from moved`);
}

function eventsOf(w: BatchWrites) {
  const events: Array<{ category: string; projectId: number; patchId?: number; coverId?: number; seriesId?: number; payload?: Record<string, unknown> }> = [];
  for (const s of w.series) events.push({ category: 'series-created', projectId: s.projectId, seriesId: s.id });
  for (const c of w.covers) events.push({ category: 'cover-created', projectId: c.projectId, coverId: c.id, ...(c.series ? { seriesId: c.series.id } : {}) });
  for (const p of w.patches) events.push({ category: 'patch-created', projectId: p.projectId, patchId: p.id, ...(p.series ? { seriesId: p.series.id } : {}) });
  for (const s of [...w.series, ...w.seriesUpdates]) {
    if (!s.receivedAllBefore && s.receivedTotal > 0 && s.total <= s.receivedTotal) {
      events.push({ category: 'series-completed', projectId: s.projectId, seriesId: s.id });
    }
  }
  return events.map((e) => ({ category: e.category, project_id: e.projectId, patch_id: e.patchId ?? null, cover_id: e.coverId ?? null, series_id: e.seriesId ?? null, payload: e.payload ?? {} }));
}

/** A growing series: what the batch decided, but links found earlier (cover, previous version, Change-Id) are kept. */
function updateSeries(series: SeriesNode[]): SQL | null {
  if (!series.length) return null;
  const rows = series.map((s) => ({ id: s.id, ...seriesState(s) }));
  return sql`update series as s set
      name = v.name, name_key = v.name_key, cover_id = coalesce(v.cover_id, s.cover_id), received_total = v.received_total, received_all = v.received_all,
      previous_version_id = coalesce(s.previous_version_id, v.previous_version_id),
      previous_version_reason = coalesce(s.previous_version_reason, v.previous_version_reason),
      change_id = coalesce(s.change_id, v.change_id), based_on = v.based_on, depends_on = v.depends_on, supersedes = v.supersedes
    from ${recordset('v', [['id', 'int'], ...SERIES_STATE_COLUMNS], rows)}
    where s.id = v.id`;
}

function updateCounts(deltas: BatchWrites['patchCountDeltas']): SQL | null {
  if (!deltas.length) return null;
  return sql`update patch as p set
      acked_count = p.acked_count + v.acked, reviewed_count = p.reviewed_count + v.reviewed, tested_count = p.tested_count + v.tested
    from ${recordset('v', [['id', 'int'], ['acked', 'int'], ['reviewed', 'int'], ['tested', 'int']], deltas)} where p.id = v.id`;
}
