import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../support/db.js';
import { makeTemplate, planFor } from '../support/apply-helpers.js';
import { flatSteps } from '../../src/engine/plan/steps.js';

/**
 * Rows of a table without a primary key are ordered by their ctid (db/row-order.ts) wherever the
 * order must repeat: predicate samples, the grouped samples of two counters on one table, the keep
 * ranking of duplicates. The first column is json, which has no ordering: `ORDER BY 1` would fail.
 */

const SQL = String.raw`
CREATE TABLE "Doc" ("Body" json, "N" int);
INSERT INTO "Doc" VALUES ('{"a": 1}', -1), ('{"b": 2}', 3), ('{"c": 3}', -2);

CREATE TABLE "Author" ("Meta" json, "Name" text NOT NULL UNIQUE, "Posts" int, "Books" int); -- no primary key: rows ordered by ctid, matched by "Name"
CREATE TABLE "Book" ("Author" text);
INSERT INTO "Author" VALUES ('{}', 'cy', 9, 9), ('{}', 'ann', 5, 7), ('{}', 'bob', 1, 1);
INSERT INTO "Book" VALUES ('ann'), ('bob'), ('cy');

CREATE TABLE "Tag" ("Meta" json, "Label" text);
INSERT INTO "Tag" VALUES ('{"i": 1}', 'x'), ('{"i": 2}', 'x'), ('{"i": 3}', 'y'), ('{"i": 4}', 'x');
`;

let template: { name: string; drop: () => Promise<void> };
beforeAll(async () => {
  template = await makeTemplate(SQL);
});
afterAll(async () => {
  await template?.drop();
});

const BOOKS = '(SELECT count(*) FROM "Book" WHERE "Book"."Author" = "Author"."Name")';

describe('keyless tables are ordered by ctid', () => {
  it('samples, grouped counter samples and the keep ranking come back in physical order', async () => {
    const db = await createTestDb(template.name);
    try {
      const plan = await planFor(
        db.url,
        [
          { id: 'O-DOC', title: 'negative N', severity: 'low', playbook: 'check', params: { table: 'Doc', name: 'doc_n', expression: '"N" >= 0' } },
          { id: 'O-POSTS', title: 'posts', severity: 'low', playbook: 'counter', params: { table: 'Author', column: 'Posts', expression: BOOKS } },
          { id: 'O-BOOKS', title: 'books', severity: 'low', playbook: 'counter', params: { table: 'Author', column: 'Books', expression: BOOKS } },
          { id: 'O-TAG', title: 'one label', severity: 'low', playbook: 'unique', params: { table: 'Tag', columns: ['Label'] }, resolution: { strategy: 'delete', keep: 'oldest' } },
        ],
        'window',
        false,
      );
      const byId = Object.fromEntries(plan.findings.map((f) => [f.id, f]));
      for (const f of plan.findings) expect(f.error ?? null, f.id).toBeNull();
      const sample = (id: string) => byId[id]!.checks[0]!.sample;
      expect(sample('O-DOC').map((r) => r.N)).toEqual([-1, -2]);
      // Physical order, not by name: cy was inserted first.
      expect(sample('O-POSTS').map((r) => r.Name)).toEqual(['cy', 'ann']);
      expect(sample('O-BOOKS').map((r) => r.Name)).toEqual(['cy', 'ann']);
      // No pgmend_ helper column reaches the reviewer.
      for (const id of ['O-DOC', 'O-POSTS', 'O-BOOKS']) for (const r of sample(id)) expect(Object.keys(r).filter((k) => k.startsWith('pgmend_') && k !== 'pgmend_group'), id).toEqual([]);
      const tag = byId['O-TAG']!.checks[0]!;
      expect([tag.rows, tag.groups]).toEqual([3, 1]);
      // Keep the oldest by physical position: the first 'x' row stays, the other two are deleted.
      expect(byId['O-TAG']!.status).toBe('resolved');
      expect(flatSteps(byId['O-TAG']!.steps).map((s) => s.sql).join('\n')).toMatch(/ORDER BY public\."Tag"\.ctid ASC\) AS pgmend_rank/);
    } finally {
      await db.drop();
    }
  });
});
