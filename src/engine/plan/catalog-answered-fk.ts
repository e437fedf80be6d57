import type pg from 'pg';
import type { CatalogAnswer } from './plan-model.js';

/**
 * A foreign key the catalog answered for (checks/catalog-answers.ts: validated, its triggers
 * enabled, same columns to the same parent columns), read again inside the rehearsal right before
 * the step that replaces it: the plan read it seconds or minutes ago, and the step drops it, so
 * this read is the last time it can be seen. `snapshot` is the server's snapshot of that read: the
 * caller asks, once the step holds its lock, whether any transaction committed since
 * (answered-validation.ts) — then the key was still as read when the step locked the tables.
 */
export interface AnsweringFk {
  name: string;
  /** The child table's oid. */
  table: number;
  parent: number;
  /** (child column, parent column) pairs. */
  pairs: string[];
  /** pg_get_constraintdef as read: the rollback re-adds this definition (rollback-answered.ts). */
  definition: string;
  /** Columns of the child table NOT NULL (validated) at that read: a rollback's SET NOT NULL on them is proven too. */
  notNull: string[];
  snapshot: string;
}

const PAIRS = (key: string, rel: string) =>
  `(SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(co.${key}) WITH ORDINALITY AS k(n, i) JOIN pg_attribute a ON a.attrelid = co.${rel} AND a.attnum = k.n)`;

const FK_SQL = `
  SELECT co.conname::text AS name, co.conrelid::int8 AS table, co.confrelid::int8 AS parent, co.contype::text AS type, co.convalidated AS validated,
         pg_get_constraintdef(co.oid) AS definition, ${PAIRS('conkey', 'conrelid')} AS cols, ${PAIRS('confkey', 'confrelid')} AS pcols,
         (SELECT count(*) FROM pg_trigger t WHERE t.tgconstraint = co.oid) AS triggers,
         (SELECT count(*) FROM pg_trigger t WHERE t.tgconstraint = co.oid AND t.tgenabled <> 'O') AS disabled,
         (SELECT coalesce(array_agg(a.attname::text), '{}') FROM pg_attribute a
          WHERE a.attrelid = co.conrelid AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull
            AND NOT EXISTS (SELECT 1 FROM pg_constraint n WHERE n.conrelid = a.attrelid AND n.contype = 'n' AND n.conkey = ARRAY[a.attnum] AND NOT n.convalidated)) AS not_null,
         pg_current_snapshot()::text AS snapshot
  FROM pg_constraint co WHERE co.conrelid = to_regclass($1) AND co.conname = $2`;

interface FkRow {
  name: string;
  table: number;
  parent: number;
  type: string;
  validated: boolean;
  definition: string;
  cols: string[] | null;
  pcols: string[] | null;
  triggers: number;
  disabled: number;
  not_null: string[];
  snapshot: string;
}

const pairsOf = (r: { cols: string[] | null; pcols: string[] | null }) => (r.cols ?? []).map((c, i) => `${c}\u0000${r.pcols?.[i]}`);

/** The answering FK as it is now, or why it no longer answers (dropped, not validated, a trigger disabled). */
export async function answeringFkNow(client: pg.Client, answer: CatalogAnswer): Promise<AnsweringFk | { not: string }> {
  const { rows } = await client.query<FkRow>(FK_SQL, [answer.table, answer.object]);
  const r = rows[0];
  const what = `foreign key ${answer.object} on ${answer.table}`;
  if (!r || r.type !== 'f') return { not: `${what} is no longer there` };
  if (!r.validated) return { not: `${what} is no longer validated` };
  if (r.triggers === 0 || r.disabled > 0) return { not: `${what} has ${r.disabled} of its ${r.triggers} triggers not enabled: rows may have been written behind it` };
  return { name: r.name, table: r.table, parent: r.parent, pairs: pairsOf(r), definition: r.definition, notNull: r.not_null, snapshot: r.snapshot };
}

/**
 * Why the foreign keys the step just created (NOT VALID) are not what `fk` proves: another table,
 * another parent, other columns. Undefined: every one validates exactly what `fk` did.
 */
export async function notTheSameKey(client: pg.Client, fk: AnsweringFk, created: string[]): Promise<string | undefined> {
  if (!created.length) return 'the step creates no constraint by name';
  const { rows } = await client.query<{ name: string; type: string; parent: number; cols: string[] | null; pcols: string[] | null }>(
    `SELECT co.conname::text AS name, co.contype::text AS type, co.confrelid::int8 AS parent, ${PAIRS('conkey', 'conrelid')} AS cols, ${PAIRS('confkey', 'confrelid')} AS pcols
     FROM pg_constraint co WHERE co.conrelid = $1::oid AND co.conname = ANY($2)`,
    [fk.table, created],
  );
  for (const name of created) {
    const r = rows.find((x) => x.name === name);
    if (!r) return `the step creates ${name} on another table than ${fk.name}`;
    if (r.type !== 'f') return `the step also creates ${name}, which is not a foreign key`;
    if (r.parent !== fk.parent) return `${name} references another table than ${fk.name} did`;
    const pairs = pairsOf(r);
    if (pairs.length !== fk.pairs.length || !pairs.every((p) => fk.pairs.includes(p))) return `${name} has other columns than ${fk.name}`;
  }
  return undefined;
}
