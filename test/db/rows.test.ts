import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/client.js';
import { rowsOf } from '../../src/db/rows.js';
import { createTestDatabase } from '../helpers/db.js';

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => {
  await handle?.close();
});

describe('rowsOf', () => {
  it("reads db.execute's rows from the driver in use (embedded or PostgreSQL server)", async () => {
    const result = await handle.db.execute(sql`select n from generate_series(1, 3) as n`);
    expect(rowsOf<{ n: number }>(result).map((r) => Number(r.n))).toEqual([1, 2, 3]);
  });

  it('takes both answer shapes: an array (postgres.js) or { rows } (PGlite), and none', () => {
    expect(rowsOf([{ a: 1 }])).toEqual([{ a: 1 }]);
    expect(rowsOf({ rows: [{ a: 2 }] })).toEqual([{ a: 2 }]);
    expect(rowsOf({})).toEqual([]);
  });
});
