import { quoteIdent } from '../../../db/quote.js';
import type { Table } from '../../../db/catalog.js';
import type { Pointer } from '../relations.js';
import { pct, type DataRule, type DataRuleContext, type Probe } from '../probe.js';
import type { TableRead } from '../table-read.js';
import { HASHED_PARENT_ROWS } from '../parent-keys.js';
import { columnParam, tableParam, tableSql } from '../names.js';

/**
 * Implied foreign keys: a column whose name and type point at another table's key (relations.ts
 * lists the name forms) with no constraint. Read: its non-null values and how many have no parent
 * row (orphans). Proposed when at least `impliedFkMinMatch` (default 80%) of its non-null values
 * are found in the parent — a `<name>_id` column that is not a key matches few and is left alone.
 * Where several tables fit the name, the one most values match wins. `foreign-key` with
 * onDelete no-action (PostgreSQL's default: choose the rule in review); severity high when it has
 * orphans (they block the constraint until resolved), else medium.
 */
export const impliedForeignKey: DataRule = (ctx, table) => {
  const byColumn = new Map<string, Pointer[]>();
  for (const p of ctx.relations.pointers.get(table.oid) ?? []) {
    if (p.declared) continue;
    byColumn.set(p.column.name, [...(byColumn.get(p.column.name) ?? []), p]);
  }
  return [...byColumn.values()].map((candidates) => probe(ctx, table, candidates.sort((a, b) => b.score - a.score).slice(0, 3), ctx.thresholds.impliedFkMinMatch));
};

function probe(ctx: DataRuleContext, table: Table, candidates: Pointer[], minMatch: number): Probe {
  const column = candidates[0]!.column;
  const col = `t.${quoteIdent(column.name)}`;
  let nonNull = '';
  let orphans: string[] = [];
  return {
    register(read) {
      const v = read.inner(col);
      nonNull = read.countWhere(v, (x) => `${x} IS NOT NULL`);
      orphans = candidates.map((p) => read.countWhere(v, (x) => `${x} IS NOT NULL AND NOT ${inParent(ctx, read, p, x)}`));
    },
    evaluate(r) {
      const values = r.counts.get(nonNull) ?? 0;
      if (values === 0) return null;
      const scored = candidates.map((p, i) => ({ p, orphans: r.counts.get(orphans[i]!) ?? 0 })).sort((a, b) => a.orphans - b.orphans);
      const best = scored[0]!;
      const match = (values - best.orphans) / values;
      if (match < minMatch) return null;
      const { p } = best;
      const others = scored.slice(1).map((s) => `${s.p.parent.name}: ${pct((values - s.orphans) / values)}`);
      return {
        code: 'IMPLIEDFK',
        severity: best.orphans > 0 ? 'high' : 'medium',
        title: `${table.name}.${column.name} points at ${p.parent.name}.${p.key.name} with no foreign key`,
        playbook: 'foreign-key',
        params: {
          table: tableParam(ctx.catalog, table),
          columns: [columnParam(column.name)],
          references: { table: tableParam(ctx.catalog, p.parent), columns: [columnParam(p.key.name)] },
          onDelete: 'no-action',
        },
        evidence:
          `name and type (${column.type}) point at ${p.parent.qualified}.${p.key.name}; ${values - best.orphans} of ${values} non-null values (${pct(match)}) have a parent row, ` +
          `${best.orphans} orphan(s)${others.length ? `; other tables the name fits: ${others.join(', ')}` : ''}`,
      };
    },
  };
}

/**
 * Whether the column's value is a key of the parent. A small parent's keys, read once per scan
 * (parent-keys.ts), are bound as an array: `= ANY ($n::type[])` is hashed once and can run in a
 * parallel plan (EXISTS in a select list keeps the read on one core); the key is a primary key or
 * NOT NULL unique column, so it holds no NULL and NOT … = ANY is exact. Without them (a read that
 * failed, a collated key) the same over a subquery of the parent. A large parent's keys may not fit
 * the hash: a failed hash would rescan the parent per row, so it gets EXISTS.
 */
function inParent(ctx: DataRuleContext, read: TableRead, p: Pointer, col: string): string {
  const key = `pgmend_parent.${quoteIdent(p.key.name)}`;
  const keys = ctx.parentKeys.get(p.parent.oid);
  if (keys && p.key.collation === null) return `(${col} = ANY (${read.param(keys)}::${p.key.type}[]))`;
  return (p.parent.estimatedRows ?? Infinity) <= HASHED_PARENT_ROWS
    ? `(${col} = ANY (SELECT ${key} FROM ${tableSql(p.parent)} AS pgmend_parent))`
    : `EXISTS (SELECT 1 FROM ${tableSql(p.parent)} AS pgmend_parent WHERE ${key} = ${col})`;
}
