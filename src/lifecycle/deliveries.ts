/**
 * Webhook deliveries already acted on, kept in the database so every replica sees them: a delivery is
 * acted on once, however often it is sent again. Keys are namespaced by forge (`github:`, `gitee:`), so
 * each forge keeps its own for as long as a replay of it could still be authentic.
 */
import { and, lt, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { webhookDelivery } from '../db/schema/index.js';

export type DeliverySource = 'github' | 'gitee';

/** True the first time `id` is seen for `source`; false for a repeat. Forgets keys older than `keepMs`. */
export async function firstDelivery(db: Database, source: DeliverySource, id: string, keepMs: number, now = Date.now()): Promise<boolean> {
  const prefix = `${source}:`;
  await db.delete(webhookDelivery).where(and(lt(webhookDelivery.seenAt, new Date(now - keepMs)), sql`starts_with(${webhookDelivery.key}, ${prefix})`));
  const inserted = await db
    .insert(webhookDelivery)
    .values({ key: `${prefix}${id}`, seenAt: new Date(now) })
    .onConflictDoNothing()
    .returning({ key: webhookDelivery.key });
  return inserted.length > 0;
}
