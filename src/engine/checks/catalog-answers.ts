import type pg from 'pg';
import { constraintsOf, findColumn, indexesOf, type Catalog, type Table } from '../../db/catalog.js';
import { quoteIdent, quoteQualified } from '../../db/quote.js';
import type { CatalogAnswer } from '../plan/plan-model.js';
import type { PreparedFinding } from '../plan/prepare.js';

/**
 * Checks whose count the catalog already proves is zero, so no table is read for them:
 * - unique `duplicates`: the key columns contain every column of a valid unique index without a
 *   predicate (a primary key, a unique constraint or index) — rows equal on the key are equal on
 *   that index's columns, which no two rows are (the check counts only rows whose key is not NULL);
 * - not-null `nulls`: the column is already NOT NULL, validated;
 * - foreign-key `orphans`: a validated foreign key with the same columns to the same parent columns
 *   whose triggers are enabled (a disabled trigger lets orphans in behind a valid constraint).
 * A plain table with inheritance children is never answered: the checks read the children too,
 * which its constraints do not cover (a partitioned table's are enforced on every partition).
 */

interface Candidate {
  p: PreparedFinding;
  check: string;
  answer: CatalogAnswer;
  table: Table;
  /** A foreign key: answered only if its triggers are all enabled. */
  fkOid?: number;
}

/** A key or column as the finding writes it, resolved to the table's column (undefined for an expression). */
function columnOf(table: Table, written: string): string | undefined {
  const t = written.trim();
  const exact = table.columns.find((c) => c.name === t || c.name === t.replace(/^"(.*)"$/s, '$1'));
  if (exact) return exact.name;
  try {
    return findColumn(table, t)?.name;
  } catch {
    return undefined; // an expression such as lower(name)
  }
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

function candidatesOf(catalog: Catalog, p: PreparedFinding): Candidate[] {
  const t = p.target;
  if (!t) return [];
  const params = p.finding.params as Record<string, unknown>;
  const has = (id: string) => p.checks.some((c) => c.spec.id === id && !c.spec.extra);
  const out: Candidate[] = [];
  if (p.playbook.name === 'unique' && has('duplicates')) {
    const keys = (params.columns as string[]).map((k) => columnOf(t, k));
    const plain = keys.filter((k): k is string => k !== undefined);
    const index = indexesOf(catalog, t)
      .filter((i) => i.unique && i.valid && i.ready && i.predicate === null && i.columns.length > 0 && i.columns.every((c) => c !== null && plain.includes(c)))
      .sort((a, b) => Number(b.primary) - Number(a.primary) || a.columns.length - b.columns.length || a.name.localeCompare(b.name))[0];
    if (index) {
      const kind = index.primary ? 'primary key' : index.constraint ? 'unique constraint' : 'unique index';
      const name = index.constraint ?? index.name;
      out.push({ p, check: 'duplicates', table: t, answer: { kind, object: name, table: quoteQualified(t.schema, t.name), columns: index.columns as string[], says: `no two rows share ${(index.columns as string[]).map((c) => quoteIdent(c)).join(', ')}` } });
    }
  }
  if (p.playbook.name === 'not-null' && has('nulls')) {
    const name = columnOf(t, params.column as string);
    const c = t.columns.find((x) => x.name === name);
    if (c?.notNull && c.notNullValidated) {
      out.push({ p, check: 'nulls', table: t, answer: { kind: 'not null', object: c.name, table: quoteQualified(t.schema, t.name), columns: [c.name], says: 'the column is NOT NULL' } });
    }
  }
  if (p.playbook.name === 'foreign-key' && has('orphans') && t.kind === 'table') {
    const ref = params.references as { table: string; columns: string[] };
    const parentName = p.view.tableNames.references?.[0];
    const parent = catalog.tables.find((x) => x.qualified === parentName);
    const cols = (params.columns as string[]).map((c) => columnOf(t, c));
    const pcols = parent ? ref.columns.map((c) => columnOf(parent, c)) : [];
    if (parent && cols.every(Boolean) && pcols.every(Boolean)) {
      const pairs = cols.map((c, i) => `${c}\u0000${pcols[i]}`);
      const fk = constraintsOf(catalog, t).find(
        (c) => c.type === 'f' && c.validated && c.foreignKey?.tableOid === parent.oid && sameSet(c.columns.map((x, i) => `${x}\u0000${c.foreignKey!.columns[i]}`), pairs),
      );
      if (fk) {
        out.push({
          p,
          check: 'orphans',
          table: t,
          fkOid: fk.oid,
          answer: { kind: 'foreign key', object: fk.name, table: quoteQualified(t.schema, t.name), columns: fk.columns, says: `validated, its triggers enabled: every ${fk.columns.map(quoteIdent).join(', ')} has its ${quoteQualified(parent.schema, parent.name)} row` },
        });
      }
    }
  }
  return out;
}

/**
 * Per finding id, the checks the catalog answers (count 0) and the object that proves it. Reads
 * two small catalog facts in the plan's snapshot: inheritance children, and foreign-key triggers.
 */
export async function catalogAnswers(client: pg.Client, catalog: Catalog, prepared: PreparedFinding[]): Promise<Map<string, Map<string, CatalogAnswer>>> {
  const out = new Map<string, Map<string, CatalogAnswer>>();
  const candidates = prepared.flatMap((p) => candidatesOf(catalog, p));
  if (candidates.length === 0) return out;
  const oids = [...new Set(candidates.map((c) => c.table.oid))];
  const fks = candidates.flatMap((c) => (c.fkOid ? [c.fkOid] : []));
  const { rows: parents } = await client.query<{ oid: string }>(
    `SELECT c.oid::int8 AS oid FROM pg_class c WHERE c.oid = ANY($1::oid[]) AND c.relhassubclass AND c.relkind <> 'p'`,
    [oids],
  );
  const { rows: triggers } = await client.query<{ con: string; enabled: boolean }>(
    `SELECT t.tgconstraint::int8 AS con, bool_and(t.tgenabled = 'O') AS enabled FROM pg_trigger t WHERE t.tgconstraint = ANY($1::oid[]) GROUP BY 1`,
    [fks],
  );
  const withChildren = new Set(parents.map((r) => Number(r.oid)));
  const enabledFks = new Set(triggers.filter((r) => r.enabled).map((r) => Number(r.con)));
  for (const c of candidates) {
    if (withChildren.has(c.table.oid)) continue;
    if (c.fkOid !== undefined && !enabledFks.has(c.fkOid)) continue;
    const m = out.get(c.p.finding.id) ?? new Map<string, CatalogAnswer>();
    m.set(c.check, c.answer);
    out.set(c.p.finding.id, m);
  }
  return out;
}

/** How the plan says it: `answered from the catalog: primary key "Orders_pkey" on public."Orders" (id)`. */
export function catalogAnswerText(a: CatalogAnswer): string {
  return `answered from the catalog: ${a.kind} ${quoteIdent(a.object)} on ${a.table} (${a.says})`;
}
