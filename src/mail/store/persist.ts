/** Writes a decided batch in multi-row statements: one round trip per table, not per mail. */
import { sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import {
  mailComment,
  mailCover,
  mailDropped,
  mailEvent,
  mailMessage,
  mailPatch,
  mailPerson,
  mailSeries,
  mailSeriesDependency,
  mailSeriesReference,
  mailTag,
} from '../../db/schema/mail.js';
import { sha256Hex } from './digest.js';
import type { CommentNode, CoverNode, DropNode, PatchNode, SeriesNode } from './nodes.js';
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
  drops: DropNode[];
  /** person id of a lower-cased address (every address of the batch's mails is known by now) */
  personOf: (email: string) => number;
}

/** Rows of `db.execute`, whichever driver answered (postgres.js gives an array, PGlite `{ rows }`). */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

// PostgreSQL takes at most 65535 parameters per statement
const MAX_PARAMS = 30_000;

async function insertRows<T extends Record<string, unknown>>(tx: Tx, table: PgTable, rows: T[], onConflictDoNothing = false): Promise<void> {
  if (!rows.length) return;
  const perRow = Object.keys(rows[0]!).length || 1;
  const size = Math.max(1, Math.floor(MAX_PARAMS / perRow));
  for (let i = 0; i < rows.length; i += size) {
    const q = tx.insert(table).values(rows.slice(i, i + size) as never);
    if (onConflictDoNothing) await q.onConflictDoNothing();
    else await q;
  }
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

function tagRows(projectId: number, node: PatchNode | CoverNode | CommentNode, target: { patchId: number | null; coverId: number | null; commentId: number | null }) {
  return node.mail.trailers.map((t) => ({ projectId, ...target, name: t.key, value: t.value }));
}

export async function persistBatch(tx: Tx, w: BatchWrites): Promise<void> {
  const messageRows = [
    ...w.patches.map((p) => ({ id: p.messageId, projectId: p.projectId, msgid: p.mail.msgid, kind: 'patch', patchId: p.id, coverId: null as number | null, raw: p.raw })),
    ...w.covers.map((c) => ({ id: c.messageId, projectId: c.projectId, msgid: c.mail.msgid, kind: 'cover', patchId: null as number | null, coverId: c.id, raw: c.raw })),
    ...w.comments.map((c) => ({ id: c.messageId, projectId: c.projectId, msgid: c.mail.msgid, kind: 'comment', patchId: idOf(c.parent.patch), coverId: idOf(c.parent.cover), raw: c.raw })),
  ];
  await insertRows(tx, mailMessage, messageRows);

  await insertRows(
    tx,
    mailSeries,
    w.series.map((s) => ({
      id: s.id,
      projectId: s.projectId,
      name: s.name,
      date: s.date,
      submitterId: s.submitterId,
      version: s.version,
      total: s.total,
      receivedTotal: s.receivedTotal,
      receivedAll: s.receivedTotal > 0 && s.total <= s.receivedTotal,
      coverId: s.coverId,
      previousVersionId: s.previousVersionId,
      previousVersionReason: s.previousVersionReason,
      changeId: s.changeId,
      basedOn: s.basedOn,
      dependsOn: s.dependsOn,
      supersedes: s.supersedes,
    })),
  );
  await insertRows(tx, mailSeriesReference, w.references, true);
  await updateSeries(tx, w.seriesUpdates);

  await insertRows(
    tx,
    mailCover,
    w.covers.map((c) => ({
      id: c.id,
      projectId: c.projectId,
      messageId: c.messageId,
      msgid: c.mail.msgid,
      name: c.mail.name,
      date: c.date,
      submitterId: w.personOf(c.submitter),
      content: c.mail.content,
      seriesId: c.series?.id ?? null,
    })),
  );
  await insertRows(
    tx,
    mailPatch,
    w.patches.map((p) => ({
      id: p.id,
      projectId: p.projectId,
      messageId: p.messageId,
      msgid: p.mail.msgid,
      name: p.mail.name,
      date: p.date,
      submitterId: w.personOf(p.submitter),
      delegateId: p.delegateId,
      state: p.state,
      hash: p.mail.hash,
      pullUrl: p.mail.pullUrl,
      diff: p.mail.diff,
      content: p.mail.content,
      seriesId: p.series?.id ?? null,
      number: p.number,
      ackedCount: p.counts.acked,
      reviewedCount: p.counts.reviewed,
      testedCount: p.counts.tested,
    })),
  );
  await insertRows(
    tx,
    mailComment,
    w.comments.map((c) => ({
      id: c.id,
      projectId: c.projectId,
      messageId: c.messageId,
      msgid: c.mail.msgid,
      patchId: idOf(c.parent.patch),
      coverId: idOf(c.parent.cover),
      subject: c.mail.subject,
      date: c.date,
      submitterId: w.personOf(c.submitter),
      content: c.mail.content,
    })),
  );
  await updateCounts(tx, w.patchCountDeltas);

  await insertRows(tx, mailTag, [
    ...w.patches.flatMap((p) => tagRows(p.projectId, p, { patchId: p.id, coverId: null, commentId: null })),
    ...w.covers.flatMap((c) => tagRows(c.projectId, c, { patchId: null, coverId: c.id, commentId: null })),
    ...w.comments.flatMap((c) => tagRows(c.projectId, c, { patchId: idOf(c.parent.patch), coverId: idOf(c.parent.cover), commentId: c.id })),
  ]);
  await insertRows(tx, mailSeriesDependency, w.dependencies, true);
  await insertRows(tx, mailEvent, eventsOf(w));
  await insertRows(
    tx,
    mailDropped,
    w.drops.map((d) => ({ projectId: d.projectId, msgid: d.msgid, reason: d.reason, sha256: sha256Hex(d.raw), raw: d.raw })),
    true,
  );
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
  return events.map((e) => ({ patchId: null, coverId: null, seriesId: null, payload: {}, ...e }));
}

async function updateSeries(tx: Tx, series: SeriesNode[]): Promise<void> {
  for (let i = 0; i < series.length; i += 500) {
    const values = series.slice(i, i + 500).map(
      (s) =>
        sql`(${s.id}::int, ${s.name}::text, ${s.coverId}::int, ${s.receivedTotal}::int, ${s.receivedTotal > 0 && s.total <= s.receivedTotal}::boolean,
          ${s.previousVersionId}::int, ${s.previousVersionReason}::text, ${s.changeId}::text,
          ${JSON.stringify(s.basedOn)}::jsonb, ${JSON.stringify(s.dependsOn)}::jsonb, ${JSON.stringify(s.supersedes)}::jsonb)`,
    );
    await tx.execute(sql`update series as s set
        name = v.name, cover_id = coalesce(v.cover_id, s.cover_id), received_total = v.received_total, received_all = v.received_all,
        previous_version_id = coalesce(s.previous_version_id, v.previous_version_id),
        previous_version_reason = coalesce(s.previous_version_reason, v.previous_version_reason),
        change_id = coalesce(s.change_id, v.change_id), based_on = v.based_on, depends_on = v.depends_on, supersedes = v.supersedes
      from (values ${sql.join(values, sql`, `)}) as v(id, name, cover_id, received_total, received_all, previous_version_id, previous_version_reason, change_id, based_on, depends_on, supersedes)
      where s.id = v.id`);
  }
}

async function updateCounts(tx: Tx, deltas: BatchWrites['patchCountDeltas']): Promise<void> {
  for (let i = 0; i < deltas.length; i += 1000) {
    const values = deltas.slice(i, i + 1000).map((d) => sql`(${d.id}::int, ${d.acked}::int, ${d.reviewed}::int, ${d.tested}::int)`);
    await tx.execute(sql`update patch as p set
        acked_count = p.acked_count + v.a, reviewed_count = p.reviewed_count + v.r, tested_count = p.tested_count + v.t
      from (values ${sql.join(values, sql`, `)}) as v(id, a, r, t) where p.id = v.id`);
  }
}
