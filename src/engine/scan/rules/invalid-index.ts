import { indexesOf } from '../../../db/catalog.js';
import { quoteQualified } from '../../../db/quote.js';
import type { Proposal, RuleContext } from '../model.js';
import { sqlTables } from '../names.js';

/**
 * An INVALID index (a CREATE INDEX CONCURRENTLY that failed): writes still maintain it, queries
 * never use it. Proposed: `sql` that drops it and builds it again from its own definition.
 * Rollback drops the rebuilt index (an invalid index cannot be recreated as such, and one that
 * is missing behaves for reads as one that is invalid). Severity medium; high for a unique index
 * (it may not enforce what its name promises). Indexes behind a constraint are left alone.
 */
export function invalidIndex(ctx: RuleContext): Proposal[] {
  const out: Proposal[] = [];
  for (const table of ctx.tables) {
    for (const index of indexesOf(ctx.catalog, table)) {
      if (index.valid || index.constraint) continue;
      const name = quoteQualified(index.schema, index.name);
      out.push({
        code: 'INVALIDIDX',
        severity: index.unique ? 'high' : 'medium',
        title: `index ${index.name} on ${table.name} is INVALID (a failed concurrent build)`,
        playbook: 'sql',
        params: {
          sql: `DROP INDEX ${name};\n${index.definition};`,
          rollback: `DROP INDEX ${name};`,
          ...sqlTables(ctx.catalog, table),
        },
        evidence: `pg_index.indisvalid is false for ${index.name} (${index.definition}): queries do not use it, writes still pay for it`,
      });
    }
  }
  return out;
}
