import { constraintsOf } from '../../../db/catalog.js';
import { restorableDefinition } from '../../../db/qualified-definition.js';
import { quoteIdent } from '../../../db/quote.js';
import type { Proposal, RuleContext } from '../model.js';
import { sqlTables, tableSql } from '../names.js';

/**
 * A foreign key or CHECK left NOT VALID: new rows are checked, old ones never were, so readers
 * cannot rely on it (nor can the planner). Proposed: `sql` that validates it (SHARE UPDATE
 * EXCLUSIVE: writes go on); rollback puts it back NOT VALID. Severity medium. Rehearsal in `plan`
 * shows whether existing rows violate it.
 */
export function notValidConstraint(ctx: RuleContext): Proposal[] {
  const out: Proposal[] = [];
  for (const table of ctx.tables) {
    for (const c of constraintsOf(ctx.catalog, table)) {
      if (c.validated || (c.type !== 'f' && c.type !== 'c') || c.inherited) continue;
      const t = tableSql(table);
      const name = quoteIdent(c.name);
      out.push({
        code: 'VALIDATE',
        severity: 'medium',
        title: `${c.type === 'f' ? 'foreign key' : 'check'} ${c.name} on ${table.name} was never validated`,
        playbook: 'sql',
        params: {
          sql: `ALTER TABLE ${t} VALIDATE CONSTRAINT ${name};`,
          rollback: `ALTER TABLE ${t} DROP CONSTRAINT ${name};\nALTER TABLE ${t} ADD CONSTRAINT ${name} ${restorableDefinition(c)};`,
          ...sqlTables(ctx.catalog, table),
        },
        evidence: `${c.name} is NOT VALID (${c.definition}): rows written before it was added were never checked`,
      });
    }
  }
  return out;
}
