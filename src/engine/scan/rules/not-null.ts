import { quoteIdent } from '../../../db/quote.js';
import type { DataRule } from '../probe.js';
import { columnParam, tableParam } from '../names.js';

/**
 * Nullable columns with no NULL in a table of at least `notNullMinRows` rows (default 1,000):
 * the data already obeys NOT NULL, the schema does not say so. Proposed: `not-null`, severity low.
 */
export const notNull: DataRule = (ctx, table) =>
  table.columns
    .filter((c) => !c.notNull && !c.generated)
    .map((c) => {
      let nulls = '';
      return {
        register(read) {
          nulls = read.countWhere(read.inner(`t.${quoteIdent(c.name)}`), (v) => `${v} IS NULL`);
        },
        evaluate(r) {
          if (r.tableRows < ctx.thresholds.notNullMinRows || (r.counts.get(nulls) ?? 1) > 0) return null;
          return {
            code: 'NOTNULL',
            severity: 'low',
            title: `${table.name}.${c.name} is nullable but holds no NULL`,
            playbook: 'not-null',
            params: { table: tableParam(ctx.catalog, table), column: columnParam(c.name) },
            evidence: `0 NULLs in ${r.tableRows} rows of ${table.qualified}`,
          };
        },
      };
    });
