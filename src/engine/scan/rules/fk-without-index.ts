import { fksOf, indexesOf, type Constraint, type Index, type Table } from '../../../db/catalog.js';
import type { Proposal, RuleContext } from '../model.js';
import { columnParam, tableParam } from '../names.js';

/**
 * A foreign key with no index leading with its columns: every DELETE or key UPDATE of a parent row
 * scans the child table (and holds its lock meanwhile). Proposed: an `index` on the FK columns.
 * An index leads with them when its first n key columns are the FK's n columns, in any order;
 * partial and invalid indexes do not count. Severity medium; low on tables under 1,000 rows.
 */
export function fkWithoutIndex(ctx: RuleContext): Proposal[] {
  const out: Proposal[] = [];
  for (const table of ctx.tables) {
    if (table.kind === 'partitioned') continue; // indexes live on the partitions, each reported there
    const indexes = indexesOf(ctx.catalog, table);
    const seen = new Set<string>();
    for (const fk of fksOf(ctx.catalog, table)) {
      const key = [...fk.columns].sort().join('\0');
      if (seen.has(key) || indexes.some((i) => leadsWith(i, fk))) continue;
      seen.add(key);
      const rows = table.estimatedRows ?? 0;
      out.push({
        code: 'FKIDX',
        severity: rows < 1000 ? 'low' : 'medium',
        title: `${table.name}(${fk.columns.join(', ')}) has a foreign key but no index`,
        playbook: 'index',
        params: { table: tableParam(ctx.catalog, table), columns: fk.columns.map(columnParam) },
        evidence: `foreign key ${fk.name} (${fk.columns.join(', ')}) → ${fk.foreignKey?.table}: no valid, non-partial index of ${table.qualified} leads with ${fk.columns.join(', ')} (${indexes.length} index(es) checked); each delete or key update of a parent row scans ~${Math.round(rows)} rows`,
      });
    }
  }
  return out;
}

function leadsWith(index: Index, fk: Pick<Constraint, 'columns'>): boolean {
  if (!index.valid || index.predicate !== null) return false;
  const lead = index.columns.slice(0, fk.columns.length);
  return lead.length === fk.columns.length && fk.columns.every((c) => lead.includes(c));
}

/** The index an implied foreign key proposed by the data rules needs too, when none leads with its column. */
export function indexForImpliedFk(ctx: RuleContext, table: Table, column: string, parent: string): Proposal | null {
  if (indexesOf(ctx.catalog, table).some((i) => leadsWith(i, { columns: [column] }))) return null;
  const rows = table.estimatedRows ?? 0;
  return {
    code: 'FKIDX',
    severity: rows < 1000 ? 'low' : 'medium',
    title: `${table.name}(${column}) points at ${parent} but has no index`,
    playbook: 'index',
    params: { table: tableParam(ctx.catalog, table), columns: [columnParam(column)] },
    evidence: `the foreign key proposed on ${table.qualified}.${column} → ${parent} needs an index: none of ${table.qualified} leads with ${column}; each delete or key update of a parent row would scan ~${Math.round(rows)} rows`,
  };
}
