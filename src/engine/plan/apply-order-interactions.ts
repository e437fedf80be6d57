import { parseSync } from 'pgsql-parser';
import type { Node, RangeVar } from 'libpg-query';
import { names, tableName, walk } from '../../findings/import/ast.js';
import { findTable, fksReferencing, tableByOid, triggersOf, type Catalog, type Table } from '../../db/catalog.js';
import { BACKUP_SCHEMA } from './row-changes.js';
import { quoteIdent, quoteQualified } from '../../db/quote.js';
import type { FindingPlan, PlanStep, Step } from './plan-model.js';
import { statements } from './steps.js';

/**
 * Apply runs every finding's resolutions first, then the fixes, in plan order; a row change of one
 * finding can change what a later one counts (a resolution deletes rows a counter counts). The plan
 * replays row changes in that order to preview those counts — but a replay reads whole tables, and
 * most findings touch tables no earlier change writes. Only findings that do (and the findings
 * whose changes reach them, transitively) need it; for the others applying together changes the
 * same rows as applying alone.
 *
 * Judged from each statement's parse tree, conservatively. A write changes the columns an UPDATE
 * sets (or whole rows), and through foreign keys — existing ones or ones the plan adds — the tables
 * that reference the table, when it deletes or changes a referenced column; one on a table with a
 * trigger could change anything. A later statement is affected when it names a changed table and
 * a changed column (by name, of any table). A statement that does not parse, names a table the
 * catalog does not know (a view), a partitioned table or a partition, or calls a function of the
 * user's schemas reads and writes every table. Like the replay, only row-changing statements
 * count: a trigger an earlier finding creates is not run by the replay either.
 */

const EVERY: unique symbol = Symbol('every table');

/** Columns by name, whichever table they are of; ALL when a row expression (`t.*`) can compare them all. */
const ALL = 'all';
type Columns = Set<string> | typeof ALL;

interface Parsed {
  /** Tables the statement names (read or written). */
  named: Set<string>;
  /**
   * Columns that can decide which rows it reads or changes: every column it names anywhere (by
   * name alone, so a same-named column of another table counts too); ALL for a whole row (`m`,
   * `m.*`), except `*` in a select list, which only copies values.
   */
  columns: Columns;
  /** Tables it inserts into, updates or deletes from, and the columns it sets (undefined: a DELETE). */
  targets: { table: Table; sets?: string[] }[];
  /** Foreign keys it adds: child, parent and the parent's columns (empty: the primary key). */
  foreignKeys: { child: Table; parent: Table; columns: string[] }[];
}

const isBackup = (name: string) => name.startsWith(`${BACKUP_SCHEMA}.`);

/** Every object in the parse tree: fields typed as a RangeVar or an Alias hold them unwrapped (`relation: {relname}`), so `walk` does not see them by kind. */
function eachObject(value: unknown, visit: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) for (const v of value) eachObject(v, visit);
  else if (value && typeof value === 'object') {
    visit(value as Record<string, unknown>);
    for (const v of Object.values(value)) eachObject(v, visit);
  }
}

/** What the parse of every step needs from the catalog, built once per plan. */
interface Context {
  catalog: Catalog;
  userFunctions: Set<string>;
}

function parseStep(sql: string, { catalog, userFunctions }: Context): Parsed | undefined {
  let tree: unknown;
  try {
    tree = parseSync(sql);
  } catch {
    return undefined;
  }
  // A parse tree holds names as stored: quoted back, so a dot or a capital inside a name stays in it.
  const resolve = (name: string, rel?: RangeVar): Table | undefined => {
    const rv = rel ?? { relname: name };
    if (!rv.relname) return undefined;
    try {
      return findTable(catalog, rv.schemaname ? quoteQualified(rv.schemaname, rv.relname) : quoteIdent(rv.relname));
    } catch {
      return undefined;
    }
  };
  // One pass collects; what a column reference means depends on names seen anywhere in the tree.
  const ctes = new Set<string>();
  const selectStars = new Set<unknown>();
  const columnRefs: Record<string, unknown>[] = [];
  const nodes: [string, Record<string, unknown>][] = [];
  walk(tree, (kind, node) => {
    if (kind === 'CommonTableExpr') ctes.add(String(node.ctename));
    else if (kind === 'ColumnRef') columnRefs.push(node);
    else if (kind === 'SelectStmt') {
      for (const t of (node.targetList as { ResTarget?: { val?: { ColumnRef?: unknown } } }[] | undefined) ?? []) if (t.ResTarget?.val?.ColumnRef) selectStars.add(t.ResTarget.val.ColumnRef);
    } else nodes.push([kind, node]);
  });
  // Names a whole row can go by: a bare `m` or `member` is the row itself, every column compared.
  const rowNames = new Set<string>();
  const relations: RangeVar[] = [];
  eachObject(tree, (o) => {
    if (typeof o.relname === 'string') {
      relations.push(o as RangeVar);
      rowNames.add(o.relname);
    }
    if (typeof o.aliasname === 'string') rowNames.add(o.aliasname);
  });
  let columns: Columns = new Set<string>();
  for (const node of columnRefs) {
    const fields = node.fields as Record<string, { sval?: string }>[];
    const last = fields.at(-1) ?? {};
    const name = last.String?.sval ?? '';
    if ('A_Star' in last ? !selectStars.has(node) : fields.length === 1 && rowNames.has(name)) columns = ALL;
    else if (columns !== ALL) columns.add(name);
  }
  const named = new Set<string>();
  const targets: Parsed['targets'] = [];
  const foreignKeys: Parsed['foreignKeys'] = [];
  let unknown = false;
  for (const rel of relations) {
    const name = tableName(rel);
    if ((!rel.schemaname && ctes.has(name)) || isBackup(name)) continue;
    const t = resolve(name, rel);
    // A partition's rows are also its parent's: either name reaches both, so treat it as unknown.
    if (!t || t.kind === 'partitioned' || t.partitionOf) unknown = true;
    else named.add(t.qualified);
  }
  for (const [kind, node] of nodes) {
    // A user function can read any table; what it reads is not in the statement.
    if (kind === 'FuncCall' && userFunctions.has(names(node.funcname as Node[]).at(-1) ?? '')) unknown = true;
    if (kind === 'UpdateStmt' || kind === 'DeleteStmt' || kind === 'InsertStmt') {
      const name = tableName(node.relation as RangeVar);
      if (isBackup(name)) continue;
      const t = resolve(name, node.relation as RangeVar);
      if (!t) unknown = true;
      else targets.push({ table: t, ...(kind === 'UpdateStmt' ? { sets: (node.targetList as { ResTarget: { name: string } }[]).map((r) => r.ResTarget.name) } : {}) });
    }
    if (kind === 'AlterTableStmt') {
      const child = resolve('', node.relation as RangeVar);
      walk(node.cmds, (k, c) => {
        if (k !== 'Constraint' || c.contype !== 'CONSTR_FOREIGN') return;
        const parent = resolve('', c.pktable as RangeVar);
        if (child && parent) foreignKeys.push({ child, parent, columns: names(c.pk_attrs as Node[]) });
        else unknown = true;
      });
    }
  }
  // Unknown to the catalog: it could be any table (and so could what a write to it reaches).
  return unknown ? undefined : { named, columns, targets, foreignKeys };
}

interface Positioned {
  finding: FindingPlan;
  /** Apply order: resolutions of every finding, then the fixes. */
  at: number;
  step: PlanStep;
  /** Replayed: a statement of a row change, or one `changesRows` picks. */
  changes: boolean;
  parsed: Parsed | undefined;
}

/** What one write changes: per table, the columns (ALL: whole rows come or go, or keys change). */
type Written = Map<string, Columns>;

/**
 * Adds what a write to `table` changes: the columns it sets (an UPDATE) or whole rows, and what the
 * actions of foreign keys referencing it reach. False when it could be anything (a trigger fires).
 */
function reach(catalog: Catalog, planFks: Parsed['foreignKeys'], t: Table, sets: string[] | undefined, into: Written): boolean {
  if (triggersOf(catalog, t).length > 0) return false;
  const had = into.get(t.qualified);
  if (had === ALL) return true;
  into.set(t.qualified, sets === undefined ? ALL : new Set([...(had ?? []), ...sets]));
  const referencing = [
    ...fksReferencing(catalog, t).map((c) => ({ child: tableByOid(catalog, c.tableOid), columns: c.foreignKey!.columns })),
    ...planFks.filter((f) => f.parent.oid === t.oid),
  ];
  for (const fk of referencing) {
    // An UPDATE reaches a child only through the parent's referenced columns.
    const touchesKey = sets === undefined || fk.columns.length === 0 || fk.columns.some((c) => sets.includes(c));
    if (touchesKey && (!fk.child || !reach(catalog, planFks, fk.child, undefined, into))) return false;
  }
  return true;
}

function writesOf(catalog: Catalog, planFks: Parsed['foreignKeys'], s: Positioned): Written | typeof EVERY {
  if (!s.parsed) return EVERY;
  const out: Written = new Map();
  for (const target of s.parsed.targets) if (!reach(catalog, planFks, target.table, target.sets, out)) return EVERY;
  return out;
}

/** Can the earlier write change which rows the later statement reads or changes? */
function meets(written: Written | typeof EVERY, later: Parsed | undefined): boolean {
  if (written === EVERY || !later) return true;
  for (const [table, cols] of written) {
    if (!later.named.has(table)) continue;
    if (cols === ALL || later.columns === ALL) return true;
    const laterColumns = later.columns;
    if ([...cols].some((c) => laterColumns.has(c))) return true;
  }
  return false;
}

/**
 * The findings whose row changes must be replayed together (in apply order) to know what each
 * changes when the plan is applied as a whole. `changesRows` picks the steps the replay runs.
 */
export function findingsToReplay(findings: readonly FindingPlan[], catalog: Catalog, changesRows: (s: Step) => boolean): Set<FindingPlan> {
  const context: Context = { catalog, userFunctions: new Set(catalog.functions.map((f) => f.name)) };
  const steps: Positioned[] = [];
  for (const phase of ['resolution', 'fix'] as const) {
    for (const finding of findings) {
      for (const s of statements(finding.steps)) if (s.step.phase === phase) steps.push({ finding, at: steps.length, step: s.step, changes: changesRows(s.of ?? s.step), parsed: undefined });
    }
  }
  // Row changes are judged; other steps matter only for the foreign keys they add.
  const changing = steps.filter((s) => s.changes);
  const judged = new Set(changing);
  for (const s of steps) if (judged.has(s) || /\bREFERENCES\b/i.test(s.step.sql)) s.parsed = parseStep(s.step.sql, context);
  const planFks = steps.flatMap((s) => s.parsed?.foreignKeys ?? []);
  const writes = new Map<Positioned, Written | typeof EVERY>(changing.map((s) => [s, writesOf(catalog, planFks, s)]));

  // f depends on g when a change of g, run before one of f's, writes a table that change of f names.
  const dependsOn = new Map<FindingPlan, Set<FindingPlan>>();
  for (const later of changing) {
    for (const earlier of changing) {
      if (earlier.at >= later.at || earlier.finding === later.finding) continue;
      if (!meets(writes.get(earlier)!, later.parsed)) continue;
      dependsOn.set(later.finding, (dependsOn.get(later.finding) ?? new Set()).add(earlier.finding));
    }
  }
  const replay = new Set<FindingPlan>();
  const add = (f: FindingPlan) => {
    if (replay.has(f)) return;
    replay.add(f);
    for (const g of dependsOn.get(f) ?? []) add(g);
  };
  for (const f of dependsOn.keys()) add(f);
  return replay;
}
