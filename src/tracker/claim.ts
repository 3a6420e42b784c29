/**
 * Work items are trackings with `queued_at` set. A replica claims some with a lease (FOR UPDATE SKIP LOCKED,
 * so replicas never take the same row), renews the lease while it works, and releases it at the end. A
 * crashed replica's lease simply expires and another replica picks the tracking up.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { engineLease, tracking } from '../db/schema/index.js';
import { rowsOf } from '../db/rows.js';

export async function queueTracking(db: Database, id: number): Promise<void> {
  await db
    .update(tracking)
    .set({ queuedAt: sql`coalesce(${tracking.queuedAt}, now())`, status: sql`case when ${tracking.status} = 'running' then 'running' else 'queued' end` })
    .where(eq(tracking.id, id));
}

export async function claimWork(db: Database, owner: string, limit: number, leaseMs: number): Promise<number[]> {
  const rows = await db.execute<{ id: number }>(sql`
    update ${tracking} set lease_owner = ${owner},
      lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000}),
      status = 'running'
    where id in (
      select id from ${tracking}
      where queued_at is not null and enabled
        and (lease_expires_at is null or lease_expires_at < now())
      order by queued_at, id
      limit ${limit}
      for update skip locked)
    returning id`);
  return rowsOf<{ id: number }>(rows).map((r) => Number(r.id));
}

/**
 * Take the lease of one enabled tracking right now (an API-requested scan) when nobody holds it. A lease this
 * replica holds already is not taken again: that would be a second run of the tracking beside the first
 * (one scheduled, one on demand), publishing the same range twice.
 */
export async function claimOne(db: Database, id: number, owner: string, leaseMs: number): Promise<boolean> {
  const rows = await db
    .update(tracking)
    .set({ leaseOwner: owner, leaseExpiresAt: sql`now() + make_interval(secs => ${leaseMs / 1000})`, status: 'running', queuedAt: sql`coalesce(${tracking.queuedAt}, now())` })
    .where(and(eq(tracking.id, id), eq(tracking.enabled, true), sql`(${tracking.leaseExpiresAt} is null or ${tracking.leaseExpiresAt} < now())`))
    .returning({ id: tracking.id });
  return rows.length > 0;
}

export async function renewLease(db: Database, id: number, owner: string, leaseMs: number): Promise<boolean> {
  const rows = await db
    .update(tracking)
    .set({ leaseExpiresAt: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
    .where(and(eq(tracking.id, id), eq(tracking.leaseOwner, owner)))
    .returning({ id: tracking.id });
  return rows.length > 0;
}

/** End of work: drop the lease, and the queue entry unless the upstream moved again meanwhile (requeue). */
export async function releaseWork(db: Database, id: number, owner: string, requeue = false): Promise<void> {
  await db
    .update(tracking)
    .set({ leaseOwner: null, leaseExpiresAt: null, ...(requeue ? {} : { queuedAt: null }) })
    .where(and(eq(tracking.id, id), eq(tracking.leaseOwner, owner)));
}

/** A named lease (e.g. the heads check of a cycle) that only one replica holds at a time. */
export async function acquireNamedLease(db: Database, name: string, owner: string, leaseMs: number): Promise<boolean> {
  const rows = await db.execute<{ owner: string }>(sql`
    insert into ${engineLease} (name, owner, expires_at) values (${name}, ${owner}, now() + make_interval(secs => ${leaseMs / 1000}))
    on conflict (name) do update set owner = excluded.owner, expires_at = excluded.expires_at
      where ${engineLease.expiresAt} < now() or ${engineLease.owner} = excluded.owner
    returning owner`);
  return rowsOf(rows).length > 0;
}

/** Does some replica hold the named lease now? */
export async function namedLeaseHeld(db: Database, name: string): Promise<boolean> {
  const rows = await db.select({ owner: engineLease.owner }).from(engineLease).where(and(eq(engineLease.name, name), sql`${engineLease.expiresAt} >= now()`));
  return rows.length > 0;
}

/** Every tracking lease (and named lease) held under `owner`: the restarted replica of that name gives them up. */
export async function releaseLeasesOf(db: Database, owner: string): Promise<number> {
  const rows = await db.update(tracking).set({ leaseOwner: null, leaseExpiresAt: null }).where(eq(tracking.leaseOwner, owner)).returning({ id: tracking.id });
  await db.delete(engineLease).where(eq(engineLease.owner, owner));
  return rows.length;
}

export async function releaseNamedLease(db: Database, name: string, owner: string): Promise<void> {
  await db.delete(engineLease).where(and(eq(engineLease.name, name), eq(engineLease.owner, owner)));
}
