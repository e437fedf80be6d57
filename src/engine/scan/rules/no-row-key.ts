import { indexesOf } from '../../../db/catalog.js';
import type { RuleContext, ScanNote } from '../model.js';

/**
 * A table with neither a primary key nor a unique index over NOT NULL columns: its rows cannot be
 * matched exactly, so an update of them cannot be rolled back row by row (pgmend's rollback
 * restores rows by key) and duplicates cannot be told apart. Reported as a note (no playbook can
 * choose the key for you). Partitioned parents are judged by their partitions.
 */
export function noRowKey(ctx: RuleContext): ScanNote[] {
  const notes: ScanNote[] = [];
  for (const table of ctx.tables) {
    if (table.kind === 'partitioned' || table.primaryKey.length > 0) continue;
    const notNull = new Set(table.columns.filter((c) => c.notNull).map((c) => c.name));
    const keyed = indexesOf(ctx.catalog, table).some(
      (i) => i.unique && i.valid && i.predicate === null && i.columns.every((c) => c !== null && notNull.has(c)),
    );
    if (keyed) continue;
    notes.push({
      table: table.qualified,
      rule: 'no-row-key',
      message: `${table.qualified} has no primary key and no unique key over NOT NULL columns: rows cannot be matched exactly (updates cannot be rolled back row by row)`,
    });
  }
  return notes;
}
