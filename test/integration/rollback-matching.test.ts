import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDb, queryOnce } from '../support/db.js';
import { dbState } from '../support/checksum.js';
import { applyApi, makeTemplate, planFor } from '../support/apply-helpers.js';
import { rollbackRun } from '../../src/engine/rollback/rollback.js';
import { resolveTarget } from '../../src/db/connection.js';

/**
 * Nothing is applied that rollback could not put back: the rows a resolution or counter repair
 * changes are matched back by the primary key, else a NOT NULL unique key, else the whole row;
 * what cannot be matched is refused with why, before the first statement. All on mixed-case
 * tables, where the journal once recorded no key at all (to_regclass of an unquoted name).
 */

const SQL = String.raw`
CREATE TABLE "Invoice" ("Id" int PRIMARY KEY, "Total" numeric NOT NULL, "Status" text NOT NULL);
INSERT INTO "Invoice" SELECT g, g * 10, 'open' FROM generate_series(1, 10) g;
UPDATE "Invoice" SET "Total" = -1 WHERE "Id" IN (3, 4);

-- no primary key: a NOT NULL unique key
CREATE TABLE "Coupon" ("Code" text NOT NULL UNIQUE, "Note" text, "Percent" int NOT NULL);
INSERT INTO "Coupon" VALUES ('A', 'x', 10), ('B', NULL, 150), ('C', 'y', 200), ('D', NULL, 5);

-- no key at all: whole-row match; ('a', -1) and ('a', -2) both become ('a', 0), beside an untouched ('a', 0)
CREATE TABLE "Tally" ("Label" text, "N" int);
INSERT INTO "Tally" VALUES ('a', -1), ('a', -2), ('a', 0), ('b', -1), ('b', -1), ('c', 5);

-- no key and a json column: rows cannot be matched back
CREATE TABLE "Doc" ("N" int, "Body" json);
INSERT INTO "Doc" VALUES (-1, '{"a": 1}'), (3, '{"b": 2}');

-- a counter on a table without a key: the repaired value is computed
CREATE TABLE "Author" ("Name" text, "Posts" int);
CREATE TABLE "Book" ("Author" text);
INSERT INTO "Author" VALUES ('ann', 5), ('bob', 0);
INSERT INTO "Book" VALUES ('ann'), ('bob');
`;

const check = (id: string, table: string, expression: string, set: Record<string, unknown>) => ({
  id,
  title: id,
  severity: 'medium',
  playbook: 'check',
  params: { table, name: `${id.toLowerCase()}_check`, expression },
  resolution: { strategy: 'update', set },
});

let template: { name: string; drop: () => Promise<void> };
let snapshots: string;

beforeAll(async () => {
  template = await makeTemplate(SQL);
  snapshots = await mkdtemp(path.join(os.tmpdir(), 'pgmend-matching-'));
});
afterAll(async () => {
  await template?.drop();
  if (snapshots) await rm(snapshots, { recursive: true, force: true });
});

describe('rollback matches changed rows back', () => {
  it.each(['window', 'online'] as const)('%s: by primary key, by a NOT NULL unique key, by the whole row (duplicates included); restores exactly', async (mode) => {
    const db = await createTestDb(template.name);
    try {
      const findings = [
        check('M-PK', 'Invoice', '"Total" >= 0', { Total: 0 }),
        check('M-UQ', 'Coupon', '"Percent" <= 100', { Percent: 100 }),
        check('M-ROW', 'Tally', '"N" >= 0', { N: 0 }),
      ];
      const before = await dbState(db.url);
      const plan = await planFor(db.url, findings, mode);
      expect(plan.findings.map((f) => [f.id, f.status, f.error ?? null]).sort()).toEqual([['M-PK', 'resolved', null], ['M-ROW', 'resolved', null], ['M-UQ', 'resolved', null]]);
      const result = await applyApi(db.url, plan, snapshots);
      expect(result.status).toBe('committed');
      expect(result.rowsChanged).toBe(2 + 2 + 4);
      const journal = await queryOnce<{ finding_id: string; match: unknown }>(db.url, `SELECT DISTINCT finding_id, match FROM pgmend.backups WHERE run_id = $1 ORDER BY 1`, [result.runId]);
      expect(journal).toEqual([
        { finding_id: 'M-PK', match: { kind: 'primary-key', columns: ['Id'] } },
        { finding_id: 'M-ROW', match: { kind: 'whole-row', columns: ['Label'], set: { N: 0 } } },
        { finding_id: 'M-UQ', match: { kind: 'unique-key', columns: ['Code'] } },
      ]);
      expect(await queryOnce(db.url, `SELECT "Label", "N" FROM "Tally" ORDER BY 1, 2`)).toEqual([
        { Label: 'a', N: 0 }, { Label: 'a', N: 0 }, { Label: 'a', N: 0 }, { Label: 'b', N: 0 }, { Label: 'b', N: 0 }, { Label: 'c', N: 5 },
      ]);
      const rb = await rollbackRun(resolveTarget(db.url), result.runId!);
      expect(rb.rowsRestored).toBe(8);
      const after = await dbState(db.url);
      expect(after.rows).toEqual(before.rows);
      expect(after.schema).toBe(before.schema);
    } finally {
      await db.drop();
    }
  });

  it('refuses at plan time what it could not match back: a json column without a key, a computed repair without a key', async () => {
    const db = await createTestDb(template.name);
    try {
      const before = await dbState(db.url, { includePgmend: true });
      const plan = await planFor(
        db.url,
        [
          check('R-JSON', 'Doc', '"N" >= 0', { N: 0 }),
          { id: 'R-CNT', title: 'R-CNT', severity: 'low', playbook: 'counter', params: { table: 'Author', column: 'Posts', expression: '(SELECT count(*) FROM "Book" b WHERE b."Author" = "Author"."Name")' } },
        ],
        'window',
      );
      const byId = Object.fromEntries(plan.findings.map((f) => [f.id, f]));
      expect(byId['R-JSON']!.status).toBe('error');
      expect(byId['R-JSON']!.error).toMatch(/^R-JSON: refused: rollback could not put back the rows this changes — public\.Doc has no primary key or NOT NULL unique key, and its column\(s\) Body \(json\) have no equality/);
      expect(byId['R-CNT']!.status).toBe('error');
      expect(byId['R-CNT']!.error).toMatch(/public\.Author has no primary key or NOT NULL unique key, and the new values are computed/);
      expect(await dbState(db.url, { includePgmend: true })).toEqual(before);
    } finally {
      await db.drop();
    }
  });

  it.each(['window', 'online'] as const)('%s apply refuses before the first statement when the key a plan matches by is gone', async (mode) => {
    const db = await createTestDb(template.name);
    try {
      const plan = await planFor(db.url, [check('G-PK', 'Invoice', '"Total" >= 0', { Total: 0 })], mode);
      expect(plan.findings[0]!.status).toBe('resolved');
      await db.query(`ALTER TABLE "Invoice" DROP CONSTRAINT "Invoice_pkey"`);
      const before = await dbState(db.url, { includePgmend: true });
      const result = await applyApi(db.url, plan, snapshots);
      expect(result.status).not.toBe('committed');
      expect(result.error).toMatch(/refused: rollback could not put back rows this apply would change — G-PK \(public\.Invoice\): its primary-key \(Id\) that rollback would match rows by is gone/);
      expect(await dbState(db.url, { includePgmend: true })).toEqual(before);
    } finally {
      await db.drop();
    }
  });
});
