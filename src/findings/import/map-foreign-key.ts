import type { Constraint } from 'libpg-query';
import { names, sameName, tableName } from './ast.js';
import { singleAlter } from './alter-table.js';
import type { Candidate } from './candidate.js';
import type { Statement } from './statements.js';

/**
 * `ADD CONSTRAINT … FOREIGN KEY … ON DELETE …` → `foreign-key`, together with the `DROP CONSTRAINT`
 * of the same key (the playbook replaces it) and the `DROP NOT NULL` an ON DELETE SET NULL needs
 * (the playbook drops it itself).
 */

const ON_DELETE: Record<string, string> = {
  a: 'no-action',
  r: 'restrict',
  c: 'cascade',
  n: 'set-null',
  d: 'set-default',
};

export interface ForeignKeyMapping {
  candidates: Candidate[];
  /** Statements now part of a candidate. */
  consumed: Set<Statement>;
  /** Foreign keys the playbook cannot express, with why. */
  rejected: Map<Statement, string>;
}

export function mapForeignKeys(statements: Statement[]): ForeignKeyMapping {
  const mapping: ForeignKeyMapping = { candidates: [], consumed: new Set(), rejected: new Map() };
  statements.forEach((stmt, index) => {
    const alter = singleAlter(stmt);
    const fk = alter?.constraint;
    if (!alter || fk?.contype !== 'CONSTR_FOREIGN') return;
    const problem = unsupported(fk);
    if (problem) {
      mapping.rejected.set(stmt, problem);
      return;
    }
    const columns = names(fk.fk_attrs);
    const references = { table: tableName(fk.pktable), columns: names(fk.pk_attrs) };
    const onDelete = ON_DELETE[fk.fk_del_action ?? 'a'] ?? 'no-action';
    const sameBlock = statements.filter((s) => s.block === stmt.block && !mapping.consumed.has(s));

    const isDropOnTable = (s: Statement) => {
      const d = singleAlter(s);
      return d?.cmd.subtype === 'AT_DropConstraint' && sameName(d.table, alter.table) ? d : undefined;
    };
    // The same key by name, else a drop written right before this add (an old, differently named key).
    const previous = statements[index - 1];
    const drop =
      sameBlock.find((s) => fk.conname !== undefined && sameName(isDropOnTable(s)?.cmd.name, fk.conname)) ??
      (previous && sameBlock.includes(previous) && isDropOnTable(previous) ? previous : undefined);
    const dropNotNull =
      onDelete === 'set-null'
        ? sameBlock.filter((s) => {
            const d = singleAlter(s);
            return (
              d?.cmd.subtype === 'AT_DropNotNull' &&
              sameName(d.table, alter.table) &&
              columns.some((c) => sameName(c, d.cmd.name))
            );
          })
        : [];

    const group = [drop, stmt, ...dropNotNull].filter((s): s is Statement => s !== undefined);
    group.sort((a, b) => a.order - b.order);
    for (const s of group) mapping.consumed.add(s);
    const name = fk.conname ?? `${alter.table.split('.').pop()}_${columns.join('_')}_fkey`;
    mapping.candidates.push({
      playbook: 'foreign-key',
      params: { table: alter.table, columns, references, onDelete, ...(fk.conname ? { name: fk.conname } : {}) },
      statements: group,
      id: `FK-${name}`,
      description: `${alter.table}.${columns.join(', ')} → ${references.table}(${references.columns.join(', ')}) ON DELETE ${onDelete.replace('-', ' ').toUpperCase()}`,
      match: { table: alter.table, columns, parent: references.table },
    });
  });
  return mapping;
}

/** Foreign-key features the playbook's params cannot carry; mapping them would silently drop them. */
function unsupported(fk: Constraint): string | undefined {
  if ((fk.pk_attrs ?? []).length === 0) return 'REFERENCES without a column list: the referenced columns are not named';
  if (fk.fk_upd_action && fk.fk_upd_action !== 'a') return 'ON UPDATE action: the foreign-key playbook has no onUpdate';
  if (fk.fk_matchtype && fk.fk_matchtype !== 's') return 'MATCH FULL/PARTIAL: not a foreign-key playbook param';
  if (fk.deferrable || fk.initdeferred) return 'DEFERRABLE: not a foreign-key playbook param';
  if ((fk.fk_del_set_cols ?? []).length > 0) return 'ON DELETE SET NULL (columns): not a foreign-key playbook param';
  return undefined;
}
