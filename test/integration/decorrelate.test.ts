import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.js';
import { AggregateJoins, type UniqueKeys } from '../../src/engine/checks/decorrelate.js';
import { ensureParser } from '../../src/playbooks/expression.js';
import { loadPlaybooks } from '../../src/playbooks/load.js';
import { loadCatalog } from '../../src/db/catalog.js';
import { prepareFinding, type PreparedFinding } from '../../src/engine/plan/prepare.js';
import { runPrechecks } from '../../src/engine/checks/prechecks.js';
import type { Finding } from '../../src/findings/model.js';
import pg from 'pg';

/**
 * The rewrite prechecks use for correlated subqueries (decorrelate.ts) must count exactly the rows
 * the predicate as written counts: every predicate below is counted both ways on data with the
 * awkward cases (parents without children, NULL keys, NULL values, children whose key matches no
 * parent, a non-unique "parent" column) and must agree — and the shapes it must not touch stay as written.
 */

let db: TestDb;

const SQL = `
CREATE TABLE parent (id int PRIMARY KEY, code text UNIQUE, grp int, n_children int, total numeric, hi int, tag text);
CREATE TABLE child (id int PRIMARY KEY, parent_id int, parent_code text, grp int, kind text, amount numeric);
INSERT INTO parent SELECT g, 'c' || g, g % 3, 0, 0, NULL, CASE WHEN g % 4 = 0 THEN NULL ELSE 't' END FROM generate_series(1, 40) g;
INSERT INTO child SELECT g, CASE WHEN g % 11 = 0 THEN NULL WHEN g % 13 = 0 THEN 999 ELSE 1 + g % 30 END,
  CASE WHEN g % 7 = 0 THEN NULL ELSE 'c' || (1 + g % 45) END, g % 3,
  (ARRAY['a', 'b', NULL])[1 + g % 3], CASE WHEN g % 5 = 0 THEN NULL ELSE g % 17 END
FROM generate_series(1, 600) g;
-- Counters: right on most parents, off on some (and NULL on one).
UPDATE parent p SET n_children = (SELECT count(*) FROM child c WHERE c.parent_id = p.id),
                    total = (SELECT sum(c.amount) FROM child c WHERE c.parent_id = p.id AND c.kind = 'a'),
                    hi = (SELECT max(c.amount) FROM child c WHERE c.parent_id = p.id);
UPDATE parent SET n_children = n_children + 1 WHERE id IN (3, 9, 35);
UPDATE parent SET total = NULL WHERE id = 4;
UPDATE parent SET total = total + 1 WHERE id = 7;
`;

const uniqueKeys: UniqueKeys = ({ name }) => (name === 'parent' ? [['id'], ['code']] : name === 'child' ? [['id']] : undefined);

async function countBoth(outer: 'parent' | 'child', predicate: string, keys?: UniqueKeys): Promise<{ written: number; rewritten: number; sql: string; changed: boolean }> {
  const j = new AggregateJoins({ schema: 'public', name: outer }, keys);
  const rewritten = j.rewrite(predicate);
  const sql = `${j.with()}SELECT count(*) FILTER (WHERE ${rewritten})::int AS n FROM public.${outer}${j.joins()}`;
  const a = await db.query<{ n: number }>(`SELECT count(*) FILTER (WHERE ${predicate})::int AS n FROM public.${outer}`);
  const b = await db.query<{ n: number }>(sql);
  return { written: a.rows[0]!.n, rewritten: b.rows[0]!.n, sql, changed: rewritten !== predicate };
}

beforeAll(async () => {
  await ensureParser();
  db = await createTestDb();
  await db.query(SQL);
});
afterAll(async () => {
  await db?.drop();
});

describe('correlated aggregates → one grouped scan', () => {
  it.each([
    ['count', `n_children IS DISTINCT FROM (SELECT count(*) FROM child WHERE child.parent_id = parent.id)`],
    ['count with a condition', `n_children IS DISTINCT FROM (SELECT count(*) FROM child WHERE child.parent_id = parent.id AND child.kind = 'a')`],
    ['sum in COALESCE, condition', `total IS DISTINCT FROM COALESCE((SELECT sum(child.amount) FROM child WHERE child.parent_id = parent.id AND child.kind = 'a'), 0)`],
    ['sum, NULL when no rows', `total IS DISTINCT FROM (SELECT sum(child.amount) FROM child WHERE child.parent_id = parent.id AND child.kind = 'a')`],
    ['max, reversed equality, alias', `hi IS DISTINCT FROM (SELECT max(c.amount) FROM child AS c WHERE parent.id = c.parent_id)`],
    ['count(column) skips NULLs', `n_children <> (SELECT count(c.amount) FROM child c WHERE c.parent_id = parent.id)`],
    ['aggregate with its own FILTER', `n_children > (SELECT count(*) FILTER (WHERE child.amount > 3) FROM child WHERE child.parent_id = parent.id AND child.kind IS NOT NULL)`],
    ['two keys', `n_children IS DISTINCT FROM (SELECT count(*) FROM child WHERE child.parent_id = parent.id AND child.grp = parent.grp)`],
    ['two subqueries sharing one scan', `(SELECT count(*) FROM child WHERE child.parent_id = parent.id AND child.kind = 'a') > (SELECT count(*) FROM child WHERE child.parent_id = parent.id AND child.kind = 'b')`],
    ['schema-qualified outer reference', `n_children IS DISTINCT FROM (SELECT count(*) FROM child WHERE child.parent_id = public.parent.id)`],
  ])('%s: same count, rewritten', async (_, predicate) => {
    const r = await countBoth('parent', predicate);
    expect(r.changed, r.sql).toBe(true);
    expect(r.rewritten, r.sql).toBe(r.written);
  });

  it('the counters drift where the data says they do (the test data is not vacuous)', async () => {
    const r = await countBoth('parent', `n_children IS DISTINCT FROM (SELECT count(*) FROM child WHERE child.parent_id = parent.id)`);
    expect(r.written).toBe(3);
    const t = await countBoth('parent', `total IS DISTINCT FROM (SELECT sum(child.amount) FROM child WHERE child.parent_id = parent.id AND child.kind = 'a')`);
    expect(t.written).toBe(2);
  });

  it.each([
    ['an outer column outside the key equalities', `n_children > (SELECT count(*) FROM child WHERE child.parent_id = parent.id AND child.grp > parent.grp)`],
    ['an unqualified column (it could name either table)', `n_children > (SELECT count(*) FROM child WHERE child.parent_id = parent.id AND amount > 3)`],
    ['not an aggregate', `tag IS DISTINCT FROM (SELECT child.kind FROM child WHERE child.id = parent.id)`],
    ['a window function', `n_children > (SELECT count(*) OVER () FROM child WHERE child.parent_id = parent.id LIMIT 1)`],
    ['GROUP BY inside', `n_children > (SELECT count(*) FROM child WHERE child.parent_id = parent.id GROUP BY child.kind LIMIT 1)`],
    ['no correlation', `n_children > (SELECT count(*) FROM child WHERE child.kind = 'a')`],
  ])('left as written: %s', async (_, predicate) => {
    const r = await countBoth('parent', predicate);
    expect(r.changed, r.sql).toBe(false);
  });
});

describe('EXISTS on a unique key → LEFT JOIN', () => {
  it.each([
    ['orphans by primary key', `child.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM public.parent AS p WHERE p.id = child.parent_id)`],
    ['orphans by a unique column', `child.parent_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM parent AS p WHERE child.parent_code = p.code)`],
    ['EXISTS, NULL keys included', `EXISTS (SELECT 1 FROM parent p WHERE p.id = child.parent_id)`],
    ['two EXISTS in one predicate', `EXISTS (SELECT 1 FROM parent p WHERE p.id = child.parent_id) AND NOT EXISTS (SELECT 1 FROM parent q WHERE q.code = child.parent_code)`],
    ['two key columns, NULLs on the child side', `NOT EXISTS (SELECT 1 FROM parent p WHERE p.id = child.parent_id AND p.code = child.parent_code)`],
  ])('%s: same count, rewritten', async (_, predicate) => {
    const r = await countBoth('child', predicate, uniqueKeys);
    expect(r.changed, r.sql).toBe(true);
    expect(r.rewritten, r.sql).toBe(r.written);
  });

  it('other predicates of the same query keep their unqualified columns (the parent adds no names)', async () => {
    const j = new AggregateJoins({ schema: 'public', name: 'child' }, uniqueKeys);
    const orphans = j.rewrite(`child.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM parent p WHERE p.id = child.parent_id)`);
    // child and parent both have id and grp: unqualified, they must still mean child's.
    const { rows } = await db.query<{ a: number; b: number }>(
      `SELECT count(*) FILTER (WHERE ${orphans})::int AS a, count(*) FILTER (WHERE id > 300 AND grp = 1)::int AS b FROM public.child${j.joins()}`,
    );
    const plain = await db.query<{ b: number }>(`SELECT count(*) FILTER (WHERE id > 300 AND grp = 1)::int AS b FROM public.child`);
    expect(rows[0]!.b).toBe(plain.rows[0]!.b);
    expect(rows[0]!.a).toBeGreaterThan(0);
  });

  it('there are orphans to find', async () => {
    const r = await countBoth('child', `child.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM parent AS p WHERE p.id = child.parent_id)`, uniqueKeys);
    expect(r.written).toBeGreaterThan(0);
  });

  it.each([
    ['a column that is not a unique key (a join would repeat rows)', `NOT EXISTS (SELECT 1 FROM parent p WHERE p.grp = child.grp)`, uniqueKeys],
    ['another condition besides the key', `NOT EXISTS (SELECT 1 FROM parent p WHERE p.id = child.parent_id AND p.tag = 't')`, uniqueKeys],
    ['keys unknown', `NOT EXISTS (SELECT 1 FROM parent p WHERE p.id = child.parent_id)`, undefined],
  ])('left as written: %s', async (_, predicate, keys) => {
    const r = await countBoth('child', predicate, keys);
    expect(r.changed, r.sql).toBe(false);
  });
});

describe('prechecks with grouped joins: counts and samples as the correlated queries give them', () => {
  const COUNTERS: Finding[] = [
    { id: 'C-N', title: 'child count', severity: 'low', playbook: 'counter', params: { table: 'parent', column: 'n_children', expression: '(SELECT count(*) FROM child WHERE child.parent_id = parent.id)' } },
    { id: 'C-T', title: 'total of a', severity: 'low', playbook: 'counter', params: { table: 'parent', column: 'total', expression: "(SELECT sum(child.amount) FROM child WHERE child.parent_id = parent.id AND child.kind = 'a')" } },
    { id: 'O-P', title: 'orphans', severity: 'low', playbook: 'foreign-key', params: { table: 'child', columns: ['parent_id'], references: { table: 'parent', columns: ['id'] }, onDelete: 'cascade' } },
  ] as Finding[];

  it('two counters (sampled together) and an orphan check: the counts and sample rows plain SQL gives', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const playbooks = await loadPlaybooks();
      const catalog = await loadCatalog(client);
      const prepared = COUNTERS.map((f) => prepareFinding(catalog, playbooks, f, 'window', 2)).map((p) => {
        if (!p.ok) throw new Error(p.error);
        return p.value;
      }) as PreparedFinding[];
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const out = await runPrechecks(client, prepared, { sampleSize: 2, catalog });
      await client.query('COMMIT');
      const plain = async (where: string) => (await db.query<{ id: number }>(`SELECT id FROM parent WHERE ${where} ORDER BY id`)).rows.map((r) => r.id);
      const drift = {
        'C-N': await plain('n_children IS DISTINCT FROM (SELECT count(*) FROM child WHERE child.parent_id = parent.id)'),
        'C-T': await plain("total IS DISTINCT FROM (SELECT sum(child.amount) FROM child WHERE child.parent_id = parent.id AND child.kind = 'a')"),
      };
      for (const id of ['C-N', 'C-T'] as const) {
        const o = out.get(id)!;
        if (!o.ok) throw new Error(o.error);
        const c = o.checks.find((x) => x.id === 'drift')!;
        expect(c.rows, id).toBe(drift[id].length);
        expect(c.sample.map((r) => r.id), id).toEqual(drift[id].slice(0, 2));
        expect(Object.keys(c.sample[0]!).some((k) => k.startsWith('pgmend_')), id).toBe(false);
      }
      const orphans = out.get('O-P')!;
      if (!orphans.ok) throw new Error(orphans.error);
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM child WHERE parent_id IS NOT NULL AND parent_id NOT IN (SELECT id FROM parent)');
      expect(orphans.checks.find((x) => x.id === 'orphans')!.rows).toBe(rows[0]!.n);
    } finally {
      await client.end();
    }
  });
});
