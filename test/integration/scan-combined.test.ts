import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { catalogOf, createTestDb, type TestDb } from '../support/db.js';
import { TableRead, type Combine } from '../../src/engine/scan/table-read.js';
import type { Table } from '../../src/db/catalog.js';

/**
 * A table's read grouped two ways — each key its own grouping set over the rows ('none'), or the
 * rows grouped by all keys first and the sets adding up the combinations ('columns', the exact
 * recount of a sampled table) — gives the same figures: groups, duplicates, NULLs left out, the
 * groups returned, ranges, and the predicates counted.
 */
describe('scan table read: combined grouping gives the same figures', () => {
  let db: TestDb;
  let table: Table;

  beforeAll(async () => {
    db = await createTestDb();
    await db.query(`
      CREATE TABLE item (id int PRIMARY KEY, status text, code text, owner_id int, tally int, note text);
      INSERT INTO item SELECT i,
        CASE WHEN i % 50 = 0 THEN NULL WHEN i % 7 = 0 THEN 'PAID' ELSE (ARRAY['paid', 'open', 'void'])[1 + i % 3] END,
        CASE WHEN i IN (5, 6) THEN 'dup' WHEN i = 9 THEN NULL ELSE 'c' || i END,
        CASE WHEN i % 11 = 0 THEN NULL ELSE i % 13 END, i % 4, CASE WHEN i % 3 = 0 THEN NULL ELSE 'x' END
      FROM generate_series(1, 400) i;
      -- Columns named like the read's aliases (p…, k…, r, s): a predicate's subquery must not resolve them there.
      CREATE TABLE owner (id int PRIMARY KEY, p0 int, p1 int, p2 int, p3 int, k0 int, k1 int, k2 int, r int, s int);
      INSERT INTO owner SELECT i, 0, 0, 0, 0, 0, 0, 0, 0, 0 FROM generate_series(0, 9) i;
      ANALYZE item;`);
    table = (await catalogOf(db.url)).tables.find((t) => t.name === 'item')!;
  }, 60_000);

  afterAll(async () => {
    await db?.drop();
  });

  const read = async (combine: Combine) => {
    const r = new TableRead(table);
    const keys = {
      status: r.key(r.inner('t.status')),
      code: r.key(r.inner('t.code')),
      owner: r.key(r.inner('t.owner_id'), { all: 100 }),
      tally: r.key(r.inner('CASE WHEN t.tally > 0 THEN t.tally END'), { range: true }),
      pair: r.key(r.inner('CASE WHEN t.owner_id IS NOT NULL AND t.status IS NOT NULL THEN ROW(t.owner_id, t.status) END')),
    };
    const preds = [r.countIf(r.inner('t.note IS NULL')), r.countIf(r.inner('t.owner_id IS NULL')), r.countIf(r.inner('t.id > 390'))];
    // Predicates of one value: over a key (owner_id, status: tested per combination when combined) and over no key (note).
    const owner = r.inner('t.owner_id');
    const values = [
      r.countWhere(owner, (v) => `${v} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM owner WHERE owner.id = ${v})`),
      r.countWhere(owner, (v) => `${v} IS NOT NULL AND NOT (${v} = ANY (SELECT id FROM owner))`),
      r.countWhere(r.inner('t.status'), (v) => `${v} IS NULL`),
      r.countWhere(r.inner('t.note'), (v) => `${v} IS NULL`),
    ];
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      const result = await r.run(client, null, 13, combine);
      await client.query('ROLLBACK');
      return { keys, preds, values, result };
    } finally {
      await client.end();
    }
  };

  it('per key and per predicate, both ways', async () => {
    const none = await read('none');
    const combined = await read('columns');
    for (const k of Object.values(none.keys)) expect(combined.result.keys.get(k), k).toEqual(none.result.keys.get(k));
    expect([...combined.result.counts]).toEqual([...none.result.counts]);
    expect(combined.result.rows).toBe(400);
    // The figures themselves: 'dup' twice, the NULL code left out; 1..3 matched; the predicates.
    expect(combined.result.keys.get(none.keys.code)).toMatchObject({ groups: 398, dupGroups: 1, dupRows: 2, nonNullRows: 399, top: [{ value: 'dup', rows: 2 }] });
    expect(combined.result.keys.get(none.keys.tally)).toMatchObject({ lo: '1', hi: '3', groups: 3 });
    expect(combined.result.keys.get(none.keys.owner)).toMatchObject({ groups: 13, complete: true });
    expect(none.preds.map((c) => combined.result.counts.get(c))).toEqual([133, 36, 10]);
    // owner_id is i % 13 (NULL where i % 11 = 0); owners 0..9: orphans are 10, 11 and 12.
    const orphans = Array.from({ length: 400 }, (_, k) => k + 1).filter((i) => i % 11 !== 0 && i % 13 >= 10).length;
    expect(none.values.map((c) => none.result.counts.get(c))).toEqual([orphans, orphans, 8, 133]);
    expect(none.values.map((c) => combined.result.counts.get(c))).toEqual([orphans, orphans, 8, 133]);
  }, 60_000);

  it('a predicate of a key value is tested on the combinations, the others per row', () => {
    const r = new TableRead(table);
    r.key(r.inner('t.status'));
    r.countWhere(r.inner('t.status'), (v) => `${v} IS NULL`);
    r.countWhere(r.inner('t.note'), (v) => `${v} IS NULL`);
    const sql = r.statement(null, 13, 'columns');
    expect(sql).toContain('CASE WHEN s.k0 IS NULL THEN count(*) ELSE 0 END AS c0');
    expect(sql).toContain('count(*) FILTER (WHERE q1) AS c1');
    expect(sql).not.toContain('AS q0');
  }, 60_000);
});
