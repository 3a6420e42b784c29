/** What a page of events points at (patches, covers, checks, published ranges, trackings), one query per kind. */
import { inArray } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { publication, rangeCheck, tracking, type PublicationRow, type TrackingRow } from '../db/schema/index.js';
import { mailCheck, mailCover, mailPatch, type MailCoverRow, type MailPatchRow } from '../db/schema/mail.js';
import type { EventRecord } from '../events/service.js';
import { Related } from './related.js';

export interface EventSubjects {
  patches: Map<number, MailPatchRow>;
  covers: Map<number, MailCoverRow>;
  checks: Map<number, typeof mailCheck.$inferSelect>;
  rangeChecks: Map<number, typeof rangeCheck.$inferSelect>;
  pubs: Map<number, PublicationRow>;
  trackings: Map<number, TrackingRow>;
  related: Related;
}

const ids = (xs: Array<number | null | undefined | unknown>) => [...new Set(xs.filter((x): x is number => typeof x === 'number'))];

export async function loadEventSubjects(db: Database, events: EventRecord[]): Promise<EventSubjects> {
  const patchIds = ids(events.map((e) => e.patchId));
  const coverIds = ids(events.map((e) => e.coverId));
  const patches = new Map<number, MailPatchRow>();
  if (patchIds.length) for (const p of await db.select().from(mailPatch).where(inArray(mailPatch.id, patchIds))) patches.set(p.id, p);
  const covers = new Map<number, MailCoverRow>();
  if (coverIds.length) for (const c of await db.select().from(mailCover).where(inArray(mailCover.id, coverIds))) covers.set(c.id, c);
  const checkIds = ids(events.filter((e) => e.category === 'check-created').map((e) => e.payload.check));
  const checks = new Map<number, typeof mailCheck.$inferSelect>();
  if (checkIds.length) for (const c of await db.select().from(mailCheck).where(inArray(mailCheck.id, checkIds))) checks.set(c.id, c);
  const rangeCheckIds = ids(events.filter((e) => e.category === 'range-check-created').map((e) => e.payload.check));
  const rangeChecks = new Map<number, typeof rangeCheck.$inferSelect>();
  if (rangeCheckIds.length) for (const c of await db.select().from(rangeCheck).where(inArray(rangeCheck.id, rangeCheckIds))) rangeChecks.set(c.id, c);
  const pubIds = ids(events.map((e) => e.publicationId));
  const pubs = new Map<number, PublicationRow>();
  if (pubIds.length) for (const p of await db.select().from(publication).where(inArray(publication.id, pubIds))) pubs.set(p.id, p);
  const trackingIds = ids(events.map((e) => e.trackingId));
  const trackings = new Map<number, TrackingRow>();
  if (trackingIds.length) for (const t of await db.select().from(tracking).where(inArray(tracking.id, trackingIds))) trackings.set(t.id, t);
  const delegateIds = ids(events.filter((e) => e.category === 'patch-delegated').flatMap((e) => [e.payload.previous, e.payload.current]));
  const r = await Related.load(db, { projects: ids(events.map((e) => e.projectId)), series: events.map((e) => e.seriesId), people: delegateIds });
  return { patches, covers, checks, rangeChecks, pubs, trackings, related: r };
}
