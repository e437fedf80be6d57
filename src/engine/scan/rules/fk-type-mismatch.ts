import { fksOf, findColumn, tableByOid } from '../../../db/catalog.js';
import { quoteIdent } from '../../../db/quote.js';
import type { Proposal, RuleContext } from '../model.js';
import { sqlTables, tableSql } from '../names.js';

/**
 * A foreign-key column whose type differs from the column it references (`integer` → `bigint`,
 * `varchar(20)` → `text`): joins need casts, and a narrower child cannot hold every parent key.
 * Proposed: `sql` altering the child column to the parent's type (a table rewrite: window mode),
 * rollback alters it back. Severity medium when the child is the narrower integer, else low.
 */
const WIDTH: Record<string, number> = { smallint: 2, integer: 4, bigint: 8 };

export function fkTypeMismatch(ctx: RuleContext): Proposal[] {
  const out: Proposal[] = [];
  for (const table of ctx.tables) {
    for (const fk of fksOf(ctx.catalog, table)) {
      if (!fk.foreignKey || fk.inherited) continue;
      const parent = tableByOid(ctx.catalog, fk.foreignKey.tableOid);
      if (!parent) continue;
      fk.columns.forEach((name, k) => {
        const child = table.columns.find((c) => c.name === name);
        const ref = findColumn(parent, quoteIdent(fk.foreignKey!.columns[k]!));
        if (!child || !ref || child.type === ref.type) return;
        const narrower = (WIDTH[child.type] ?? 0) > 0 && (WIDTH[child.type] ?? 0) < (WIDTH[ref.type] ?? 0);
        const col = quoteIdent(name);
        out.push({
          code: 'FKTYPE',
          severity: narrower ? 'medium' : 'low',
          title: `${table.name}.${name} is ${child.type} but references ${parent.name}.${ref.name} (${ref.type})`,
          playbook: 'sql',
          params: {
            sql: `ALTER TABLE ${tableSql(table)} ALTER COLUMN ${col} TYPE ${ref.type};`,
            rollback: `ALTER TABLE ${tableSql(table)} ALTER COLUMN ${col} TYPE ${child.type};`,
            ...sqlTables(ctx.catalog, table),
          },
          evidence: `foreign key ${fk.name}: ${table.qualified}.${name} ${child.type} → ${parent.qualified}.${ref.name} ${ref.type}${narrower ? ' (the child column cannot hold every parent key)' : ''}`,
        });
      });
    }
  }
  return out;
}
