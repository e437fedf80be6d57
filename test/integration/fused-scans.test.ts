import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { catalogOf, createTestDb, type TestDb } from '../support/db.js';
import { countFused, fuseBatches, MAX_FUSED_GROUPS, readFused, type GroupedRead, type TableBatch } from '../../src/engine/checks/fused-scans.js';
import { ensureParser } from '../../src/playbooks/expression.js';
import type { Catalog } from '../../src/db/catalog.js';
import { AggregateJoins, type UniqueKeys } from '../../src/engine/checks/decorrelate.js';

/**
 * A child table that other tables' counters count is read once for its own checks and theirs
 * (fused-scans.ts). Every count must equal the predicate run as written, one query each: with NULL
 * keys, children of no parent, two consumers grouping the child by different keys, and aggregates
 * that do and do not roll up.
 */

let db: TestDb;
let catalog: Catalog;

const SQL = `
CREATE TABLE team (id int PRIMARY KEY, n_members int, n_active int, payroll numeric, top_pay numeric, any_admin boolean, avg_pay numeric);
CREATE TABLE office (id int PRIMARY KEY, headcount int, distinct_roles int);
CREATE TABLE member (id int PRIMARY KEY, team_id int, office_id int, role text, active boolean, pay numeric, is_admin boolean);
INSERT INTO team SELECT g, 0, 0, 0, 0, false, 0 FROM generate_series(1, 30) g;
INSERT INTO office SELECT g, 0, 0 FROM generate_series(1, 12) g;
INSERT INTO member SELECT g,
  CASE WHEN g % 17 = 0 THEN NULL WHEN g % 19 = 0 THEN 500 ELSE 1 + g % 28 END,
  CASE WHEN g % 23 = 0 THEN NULL ELSE 1 + g % 14 END,
  (ARRAY['dev', 'ops', NULL])[1 + g % 3], g % 4 <> 0, CASE WHEN g % 6 = 0 THEN NULL ELSE (g % 50) - 3 END, g % 31 = 0
FROM generate_series(1, 900) g;
UPDATE team t SET n_members = (SELECT count(*) FROM member m WHERE m.team_id = t.id),
  n_active = (SELECT count(*) FROM member m WHERE m.team_id = t.id AND m.active),
  payroll = (SELECT sum(m.pay) FROM member m WHERE m.team_id = t.id),
  top_pay = (SELECT max(m.pay) FROM member m WHERE m.team_id = t.id),
  any_admin = (SELECT bool_or(m.is_admin) FROM member m WHERE m.team_id = t.id),
  avg_pay = (SELECT avg(m.pay) FROM member m WHERE m.team_id = t.id);
UPDATE office o SET headcount = (SELECT count(*) FROM member m WHERE m.office_id = o.id),
  distinct_roles = (SELECT count(DISTINCT m.role) FROM member m WHERE m.office_id = o.id);
UPDATE team SET n_members = n_members + 1 WHERE id IN (2, 5);
UPDATE team SET payroll = NULL WHERE id = 7;
UPDATE team SET top_pay = top_pay - 1 WHERE id IN (8, 9, 10);
UPDATE team SET any_admin = NOT any_admin WHERE id = 11;
UPDATE office SET headcount = headcount - 2 WHERE id IN (1, 3, 4);
UPDATE office SET distinct_roles = 0 WHERE id = 6;
ANALYZE;
`;

const uniqueKeys: UniqueKeys = ({ name }) => (['team', 'office', 'member'].includes(name) ? [['id']] : undefined);

/** A table's checks as written; `rewrite` gives the batches prechecks hands over (one AggregateJoins each, its own prefix). */
type RawBatch = Omit<TableBatch, 'joins'>;
const rewrite = (list: RawBatch[], keys: UniqueKeys = uniqueKeys): TableBatch[] =>
  list.map((b, i) => {
    const joins = new AggregateJoins(b.target, keys, `pgmend_t${i}_d`);
    return { ...b, joins, predicates: b.predicates.map((x) => joins.rewrite(x)) };
  });

const MEMBER: RawBatch = {
  table: 'public.member',
  target: { schema: 'public', name: 'member' },
  predicates: [
    `member.team_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM team WHERE team.id = member.team_id)`,
    `(pay >= 0) IS FALSE`,
    `role IS NULL`,
  ],
};
const TEAM: RawBatch = {
  table: 'public.team',
  target: { schema: 'public', name: 'team' },
  predicates: [
    `n_members IS DISTINCT FROM (SELECT count(*) FROM member WHERE member.team_id = team.id)`,
    `n_active IS DISTINCT FROM (SELECT count(*) FROM member WHERE member.team_id = team.id AND member.active)`,
    `payroll IS DISTINCT FROM (SELECT sum(member.pay) FROM member WHERE member.team_id = team.id)`,
    `top_pay IS DISTINCT FROM (SELECT max(member.pay) FROM member WHERE member.team_id = team.id)`,
    `any_admin IS DISTINCT FROM (SELECT bool_or(member.is_admin) FROM member WHERE member.team_id = team.id)`,
  ],
};
const OFFICE: RawBatch = {
  table: 'public.office',
  target: { schema: 'public', name: 'office' },
  predicates: [`headcount IS DISTINCT FROM (SELECT count(*) FROM member WHERE member.office_id = office.id)`],
};

async function asWritten(b: RawBatch): Promise<number[]> {
  const out: number[] = [];
  for (const p of b.predicates) out.push(Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${b.table} WHERE ${p}`)).rows[0]!.n));
  return out;
}

async function fusedCounts(batches: RawBatch[]): Promise<Map<number, number[]>> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query('SAVEPOINT pgmend_precheck');
    const out = await countFused(client, rewrite(batches), catalog);
    // The transaction is still usable afterwards, whatever happened.
    expect((await client.query('SELECT 1 AS ok')).rows[0].ok).toBe(1);
    await client.query('COMMIT');
    return out;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await ensureParser();
  db = await createTestDb();
  await db.query(SQL);
  catalog = await catalogOf(db.url);
});
afterAll(async () => {
  await db?.drop();
});

describe('fused scans', () => {
  it('one scan of the child answers its own checks and two consumers grouping it by different keys: every count as written', async () => {
    const batches = [MEMBER, TEAM, OFFICE];
    const statement = fuseBatches(rewrite(batches), catalog)!;
    expect(statement).toBeDefined();
    // The child is read once: its table appears in exactly one FROM.
    expect(statement.sql.match(/FROM public\.member\b/g)).toHaveLength(1);
    expect(statement.children).toEqual([{ table: 'public.member', keys: ['member.team_id', 'member.office_id'] }]);
    const counts = await fusedCounts(batches);
    expect([...counts.keys()].sort()).toEqual([0, 1, 2]);
    for (const [i, b] of batches.entries()) expect(counts.get(i), b.table).toEqual(await asWritten(b));
  });

  it('the same scan answers grouped reads (rows per key, a breakdown among a check\'s rows) and picks the consumers\' sample rows: all as plain SQL says', async () => {
    const perTeam: GroupedRead = {
      target: MEMBER.target,
      keys: ['"team_id"'],
      answer: (g) => `SELECT coalesce(max(n), 0) AS max_per_parent, coalesce(sum(n), 0) AS total FROM (SELECT sum(pgmend_n) AS n FROM ${g} AS g WHERE pgmend_k0 IS NOT NULL GROUP BY pgmend_k0) AS c`,
    };
    const byRole: GroupedRead = {
      target: MEMBER.target,
      batch: 0,
      predicate: 1,
      keys: ['CASE WHEN ((pay >= 0) IS FALSE) THEN (role) END'],
      answer: (g) => `SELECT json_agg(json_build_array(value, rows) ORDER BY rows DESC, value) AS breakdown FROM (SELECT pgmend_k0 AS value, sum(pgmend_m) AS rows FROM ${g} AS g GROUP BY 1 HAVING sum(pgmend_m) > 0) AS b`,
    };
    const batches = rewrite([MEMBER, TEAM, OFFICE]).map((b, i) => (i === 1 ? { ...b, samples: { predicates: [0, 3], orderBy: 'id', n: 2 } } : b));
    const statement = fuseBatches(batches, catalog, new Set(), [perTeam, byRole])!;
    expect(statement.sql.match(/FROM public\.member\b/g)).toHaveLength(1);
    // The cascade's "team_id" is the counters' member.team_id: grouped once.
    expect(statement.children[0]!.keys).toEqual(['member.team_id', 'member.office_id', 'CASE WHEN ((pay >= 0) IS FALSE) THEN (role) END']);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const read = await readFused(client, batches, catalog, [perTeam, byRole]);
      // It hashes its groups (sorts off for that statement only): the planner settings are as before.
      expect((await client.query(`SELECT current_setting('enable_sort') AS s, current_setting('enable_incremental_sort') AS i`)).rows[0]).toEqual({ s: 'on', i: 'on' });
      expect(read.counts.get(0)).toEqual(await asWritten(MEMBER));
      const plain = (await client.query(`SELECT coalesce(max(n), 0)::int AS m, coalesce(sum(n), 0)::int AS t FROM (SELECT count(*) AS n FROM member WHERE team_id IS NOT NULL GROUP BY team_id) c`)).rows[0];
      expect(read.reads.get(0)).toEqual({ max_per_parent: plain.m, total: plain.t });
      const roles = (await client.query(`SELECT role AS value, count(*)::int AS rows FROM member WHERE (pay >= 0) IS FALSE GROUP BY 1 ORDER BY 2 DESC, 1`)).rows;
      expect(roles.length).toBeGreaterThan(1);
      expect(read.reads.get(1)).toEqual({ breakdown: roles.map((r) => [r.value, r.rows]) });
      for (const [i, predicate] of [[0, TEAM.predicates[0]], [3, TEAM.predicates[3]]] as const) {
        const ids = (await client.query(`SELECT tableoid::oid::text || ':' || ctid::text AS id FROM team WHERE ${predicate} ORDER BY id LIMIT 2`)).rows.map((r) => r.id);
        expect(ids.length).toBeGreaterThan(0);
        expect(read.samples.get(1)?.get(i)).toEqual(ids);
      }
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
  });

  it('a breakdown that splits its predicate evaluates it once a row: the count and the breakdown stay exact, NULL values among the matches included', async () => {
    const byRole: GroupedRead = {
      target: MEMBER.target,
      batch: 0,
      predicate: 1,
      keys: ['CASE WHEN ((pay >= 0) IS FALSE) THEN (role) END'],
      splits: '(role)',
      answer: (g) => `SELECT json_agg(json_build_array(value, rows) ORDER BY rows DESC, value) AS breakdown FROM (SELECT pgmend_k0 AS value, sum(pgmend_m) AS rows FROM ${g} AS g GROUP BY 1 HAVING sum(pgmend_m) > 0) AS b`,
    };
    const batches = rewrite([MEMBER, TEAM, OFFICE]);
    const statement = fuseBatches(batches, catalog, new Set(), [byRole])!;
    // The predicate's own count is taken only where the value is NULL.
    expect(statement.sql).toContain('count(*) FILTER (WHERE ((role)) IS NULL AND (pay >= 0) IS FALSE)');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const read = await readFused(client, batches, catalog, [byRole]);
      expect(read.counts.get(0)).toEqual(await asWritten(MEMBER));
      const roles = (await client.query(`SELECT role AS value, count(*)::int AS rows FROM member WHERE (pay >= 0) IS FALSE GROUP BY 1 ORDER BY 2 DESC, 1`)).rows;
      // The trap: matched rows whose value is NULL (they are in the NULL group of the key, with the unmatched rows).
      expect(roles.some((r) => r.value === null)).toBe(true);
      expect(read.reads.get(0)).toEqual({ breakdown: roles.map((r) => [r.value, r.rows]) });
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
  });

  it('the data is not vacuous: orphans, violations and drift of every kind are there', async () => {
    const [orphans, negative, noRole] = await asWritten(MEMBER);
    expect(orphans! * negative! * noRole!).toBeGreaterThan(0);
    expect(await asWritten(TEAM)).toEqual([2, 0, 1, 3, 1]);
    expect(await asWritten(OFFICE)).toEqual([3]);
  });

  it('an aggregate that does not roll up (avg, count DISTINCT) keeps its own grouped scan, and counts stay right', async () => {
    const avg: RawBatch = { ...TEAM, predicates: [`avg_pay IS DISTINCT FROM (SELECT avg(member.pay) FROM member WHERE member.team_id = team.id)`] };
    const distinct: RawBatch = { ...OFFICE, predicates: [`distinct_roles IS DISTINCT FROM (SELECT count(DISTINCT member.role) FROM member WHERE member.office_id = office.id)`] };
    expect(fuseBatches(rewrite([MEMBER, avg, distinct]), catalog)).toBeUndefined();
    const mixed = [MEMBER, avg, OFFICE];
    const statement = fuseBatches(rewrite(mixed), catalog)!;
    expect(statement.children).toEqual([{ table: 'public.member', keys: ['member.office_id'] }]);
    expect(statement.batches.sort()).toEqual([0, 2]);
    const counts = await fusedCounts(mixed);
    expect(counts.get(0)).toEqual(await asWritten(MEMBER));
    expect(counts.get(2)).toEqual(await asWritten(OFFICE));
    expect(counts.has(1)).toBe(false);
  });

  it('nothing to fuse without a counter reading another batch', async () => {
    expect(fuseBatches(rewrite([MEMBER, { ...OFFICE, predicates: ['headcount < 0'] }]), catalog)).toBeUndefined();
    expect((await fusedCounts([MEMBER])).size).toBe(0);
  });

  it('a failing statement counts nothing and leaves the snapshot usable (each batch then counts on its own)', async () => {
    const failing: RawBatch = { ...MEMBER, predicates: [...MEMBER.predicates, `1 / (id - id) = 1`] };
    expect(fuseBatches(rewrite([failing, TEAM]), catalog)).toBeDefined();
    expect((await fusedCounts([failing, TEAM])).size).toBe(0);
  });

  it(`a child the planner expects to make over ${MAX_FUSED_GROUPS.toLocaleString('en-US')} groups is not fused`, async () => {
    await db.query(`CREATE TABLE event (id int PRIMARY KEY, session_id int, bad boolean);
      CREATE TABLE session (id int PRIMARY KEY, n_events int);
      INSERT INTO event SELECT g, g, g % 1000 = 0 FROM generate_series(1, ${MAX_FUSED_GROUPS + 50_000}) g;
      INSERT INTO session SELECT g, 1 FROM generate_series(1, ${MAX_FUSED_GROUPS + 50_000}) g;
      ANALYZE event; ANALYZE session;`);
    catalog = await catalogOf(db.url);
    const keys: UniqueKeys = ({ name }) => (['event', 'session'].includes(name) ? [['id']] : uniqueKeys({ name }));
    const event: RawBatch = { table: 'public.event', target: { schema: 'public', name: 'event' }, predicates: ['bad'] };
    const session: RawBatch = { table: 'public.session', target: { schema: 'public', name: 'session' }, predicates: [`n_events IS DISTINCT FROM (SELECT count(*) FROM event WHERE event.session_id = session.id)`] };
    expect(fuseBatches(rewrite([event, session], keys), catalog)).toBeDefined();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query('SAVEPOINT pgmend_precheck');
      expect((await countFused(client, rewrite([event, session], keys), catalog)).size).toBe(0);
      // A grouped read is estimated on its own keys: one per event is left to its own query, the other is answered.
      const rowsPer = (g: string) => `SELECT coalesce(max(n), 0)::int AS most FROM (SELECT sum(pgmend_n) AS n FROM ${g} AS g GROUP BY pgmend_k0) AS c`;
      const perSession: GroupedRead = { target: event.target, keys: ['"session_id"'], answer: rowsPer };
      const perFlag: GroupedRead = { target: event.target, keys: ['"bad"'], answer: rowsPer };
      const read = await readFused(client, rewrite([event], keys), catalog, [perSession, perFlag]);
      expect([...read.reads.keys()]).toEqual([1]);
      expect(read.reads.get(1)).toEqual({ most: MAX_FUSED_GROUPS + 50_000 - Math.floor((MAX_FUSED_GROUPS + 50_000) / 1000) });
      expect(read.counts.get(0)).toEqual([Math.floor((MAX_FUSED_GROUPS + 50_000) / 1000)]);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
  });
});
