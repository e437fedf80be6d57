import { parseSync } from 'pgsql-parser';
import { tableByLabel, type Catalog, type Table } from '../../db/catalog.js';
import { quoteIdent, sqlName } from '../../db/quote.js';
import { statementTarget } from '../../playbooks/statement-locks.js';
import type { AnsweringFk } from './catalog-answered-fk.js';

/**
 * Rollback rehearsal of what the fix's rehearsal already proved (window mode). When the fix's
 * replacement FK was answered by the key it replaces (answered-validation.ts) and no statement
 * writes a row — every step of the fix, and every rollback statement run before, is an ALTER TABLE
 * of constraints and nullability only (`writesNoRow`) — the rollback's two scans prove nothing new:
 *
 * - re-adding the replaced key (`ADD CONSTRAINT x <its definition>`) validates exactly what that
 *   key enforced when the fix's step locked both tables — read right before, its triggers enabled,
 *   nothing committed between that read and the lock — and no row has changed since: no step
 *   writes one, and the lock, held until the rehearsal rolls back, keeps every other writer out.
 *   So it is rehearsed `NOT VALID` (same locks, names, privileges, parse);
 * - `SET NOT NULL` on a column that was NOT NULL, validated, at that same read: the fix's
 *   `DROP NOT NULL` lets NULLs in, but nothing wrote one. PostgreSQL 18 has the form that skips the
 *   scan: `ADD NOT NULL c NOT VALID`, which names the constraint as SET NOT NULL does (an unnamed
 *   not-null constraint either way), takes the same ACCESS EXCLUSIVE lock. Before 18 there is no
 *   such form (a CHECK only spares SET NOT NULL its scan once validated, which is a scan), so there
 *   it runs in full, and the plan says why.
 *
 * The restored state is still compared exactly (rollback-state.ts): only a constraint rehearsed so
 * reads as validated again, and only when the line it then gives is the line the state before the
 * fix had for it (the same name and definition; for the key, the definition read under the lock).
 * Apply's rollback runs the statements themselves, which validate every row.
 */

export interface RollbackForm {
  sql: string;
  says: string;
  /** What it adds NOT VALID: the replaced key, or not-null constraints on these columns. */
  adds: { fk: true } | { notNull: string[] };
}

/** What the answered forward step proves, for the rollback: the key it replaced and its table. */
export interface RollbackProof {
  fk: AnsweringFk;
  table: Table;
  versionNum: number;
}

type N = Record<string, unknown>;

const treeOf = (sql: string): N | undefined => {
  try {
    const stmts = (parseSync(sql) as { stmts: { stmt: N }[] }).stmts;
    return stmts.length === 1 ? stmts[0]!.stmt : undefined;
  } catch {
    return undefined;
  }
};

/** The tree without what NOT VALID and its position change. */
const bare = (tree: unknown): string => JSON.stringify(tree, (k, v) => (k === 'location' || k === 'initially_valid' || k === 'skip_validation' ? undefined : v));

const cmdsOf = (tree: N): N[] => ((tree.AlterTableStmt as N | undefined)?.cmds as { AlterTableCmd: N }[] | undefined)?.map((c) => c.AlterTableCmd) ?? [];

/**
 * The statement's form that reads no row, when the proof covers it; `{ inFull }` when it could have
 * and cannot (said in the plan); undefined for a statement the proof does not cover.
 */
export function rollbackForm(sql: string, proof: RollbackProof, catalog: Catalog): RollbackForm | { inFull: string } | undefined {
  const tree = treeOf(sql);
  const stmt = tree?.AlterTableStmt as N | undefined;
  if (!tree || !stmt || (stmt.relation as N | undefined)?.inh === false) return undefined;
  const label = statementTarget(sql, catalog);
  if (!label || tableByLabel(catalog, label)?.oid !== proof.table.oid) return undefined;
  const cmds = cmdsOf(tree);
  const addsKey = cmds.some((c) => {
    const con = (c.def as N | undefined)?.Constraint as N | undefined;
    return c.subtype === 'AT_AddConstraint' && con?.contype === 'CONSTR_FOREIGN' && con.conname === proof.fk.name && !con.skip_validation;
  });
  if (addsKey) {
    // NOT VALID after the definition, which ends the statement; the parse shows it landed on that key and changed nothing else.
    const form = `${sql.trimEnd().replace(/;$/, '')} NOT VALID`;
    const formTree = treeOf(form);
    const marked = formTree && cmdsOf(formTree).filter((c) => ((c.def as N | undefined)?.Constraint as N | undefined)?.skip_validation === true);
    if (!formTree || bare(formTree) !== bare(tree) || marked?.length !== 1 || ((marked[0]!.def as N).Constraint as N).conname !== proof.fk.name) return undefined;
    return { sql: form, says: `re-adding ${quoteIdent(proof.fk.name)} rehearsed NOT VALID: the key that answered the fix's validation, no row changed since`, adds: { fk: true } };
  }
  if (cmds.length && cmds.every((c) => c.subtype === 'AT_SetNotNull')) {
    const columns = cmds.map((c) => String(c.name));
    if (!columns.every((c) => proof.fk.notNull.includes(c))) return undefined;
    const what = `SET NOT NULL on ${columns.map(quoteIdent).join(', ')}`;
    if (proof.versionNum < 180000) return { inFull: `${what} reads every row: PostgreSQL before 18 has no NOT VALID not-null constraint` };
    return {
      sql: `ALTER TABLE ${sqlName(proof.table)} ${columns.map((c) => `ADD NOT NULL ${quoteIdent(c)} NOT VALID`).join(', ')}`,
      says: `${what} rehearsed as NOT NULL … NOT VALID: NOT NULL when the fix locked the table, no row changed since`,
      adds: { notNull: columns },
    };
  }
  return undefined;
}

/** ALTER TABLE commands that change the catalog only: they write no row (a type change, a default, a rewrite would). */
const CATALOG_ONLY = new Set(['AT_AddConstraint', 'AT_DropConstraint', 'AT_DropNotNull', 'AT_SetNotNull', 'AT_ValidateConstraint', 'AT_AlterConstraint']);

/**
 * Whether a statement certainly writes no row: one ALTER TABLE of constraint and nullability
 * commands only. What "no row changed since" rests on, for the fix's steps and for the rollback
 * statements run before a proven one — a DDL statement can write rows too (`ALTER COLUMN … TYPE …
 * USING NULL`), which no lock mode tells apart.
 */
export function writesNoRow(sql: string): boolean {
  const tree = treeOf(sql);
  const cmds = tree?.AlterTableStmt ? cmdsOf(tree) : [];
  return cmds.length > 0 && cmds.every((c) => CATALOG_ONLY.has(String(c.subtype)));
}

const NOT_VALID = ' NOT VALID (not validated)';

/**
 * The state after the rollback as the statements themselves leave it: a constraint a form added
 * NOT VALID reads validated — only where that gives the very line the state before the fix had
 * for the key (its definition as read under the lock) or for a proven column's not-null constraint.
 */
export function asRestored(after: string[], before: string[], proof: RollbackProof, formed: { fk: boolean; notNull: string[] }): string[] {
  const prefix = `${proof.table.schema}.${proof.table.name}: constraint `;
  const proven = (line: string) =>
    before.includes(line) &&
    line.startsWith(prefix) &&
    ((formed.fk && line === `${prefix}${quoteIdent(proof.fk.name)} ${proof.fk.definition}`) || formed.notNull.some((c) => line.endsWith(` NOT NULL ${quoteIdent(c)}`)));
  return after.map((l) => (l.endsWith(NOT_VALID) && proven(l.slice(0, -NOT_VALID.length)) ? l.slice(0, -NOT_VALID.length) : l));
}
