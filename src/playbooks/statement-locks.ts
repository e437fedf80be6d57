import { parseSync } from 'pgsql-parser';
import type { LockMode } from './model.js';
import { walk as walkTree } from './expression.js';
import { fksOf, fksReferencing, tableByOid, triggersOf, type Catalog, type CatalogView, type Constraint, type Index, type Table } from '../db/catalog.js';
import { addLock, fromLockNumber, strongestOf, type TableLocks } from './lock-modes.js';
import { alterTableCommand, type AlterEffect } from './alter-table-locks.js';

/**
 * For hand-written SQL (`sql` findings) and rendered playbook steps: the lock a statement takes on
 * each table, read from its whole parse tree and completed from the catalog, with the modes
 * PostgreSQL's documentation gives (explicit-locking, and each command's page). Targets and read
 * relations, foreign keys' other tables, indexes resolved to their tables, views to the tables they
 * read, partitions of partitioned tables, TRUNCATE … CASCADE's referencing tables and the tables
 * the foreign-key actions of a DELETE/UPDATE reach. Function and DO bodies are strings to the
 * parser: such statements are `opaque`, and rehearsal's observation completes them.
 */

export interface StatementLocks {
  /** Per table (or view), qualified and unquoted: the mode taken. */
  locks: TableLocks;
  /** The strongest of `locks`; ACCESS SHARE when it locks no table. */
  lock: LockMode;
  /** False for statements that cannot run inside a transaction block (VACUUM, CONCURRENTLY…). */
  transactional: boolean;
  /** Runs code the parser cannot see (DO, CALL, user functions, triggers): rehearsal's pg_locks say the rest. */
  opaque: boolean;
}

type N = Record<string, any>; // parse-tree nodes are plain JSON
const walk = (tree: unknown, fn: (type: string, node: N) => void) => walkTree(tree, fn as (type: string, node: Record<string, unknown>) => void);
type Rel = { kind: 'table'; table: Table } | { kind: 'view'; view: CatalogView };
type DmlKind = 'insert' | 'update' | 'delete';

interface Names {
  tables: Map<string, Table>;
  views: Map<string, CatalogView>;
  viewsByOid: Map<number, CatalogView>;
  indexes: Map<string, Index>;
  partitions: Map<number, Table[]>;
}

const namesCache = new WeakMap<Catalog, Names>();
function names(catalog: Catalog): Names {
  let n = namesCache.get(catalog);
  if (!n) {
    const partitions = new Map<number, Table[]>();
    for (const t of catalog.tables) if (t.partitionOfOid !== null) partitions.set(t.partitionOfOid, [...(partitions.get(t.partitionOfOid) ?? []), t]);
    n = {
      tables: new Map(catalog.tables.map((t) => [`${t.schema}.${t.name}`, t])),
      views: new Map((catalog.views ?? []).map((v) => [`${v.schema}.${v.name}`, v])),
      viewsByOid: new Map((catalog.views ?? []).map((v) => [v.oid, v])),
      indexes: new Map(catalog.indexes.map((i) => [`${i.schema}.${i.name}`, i])),
      partitions,
    };
    namesCache.set(catalog, n);
  }
  return n;
}

/** A statement's lock collection: entries by oid, then expanded through views, partitions and FKs. */
class Collector {
  /** Per relation: its mode, and the modes that reach its partitions / a view's tables (the strongest of the adds that do). */
  readonly entries = new Map<number, { rel: Rel; mode: LockMode; partitionMode?: LockMode; viewMode?: LockMode }>();
  readonly dml = new Map<number, { table: Table; kinds: Map<DmlKind, Set<string> | 'all'> }>();
  opaque = false;
  transactional = true;
  readonly n: Names;
  constructor(readonly catalog: Catalog) {
    this.n = names(catalog);
  }

  /** Resolves `schema.name` or `name` (already case-folded by the parser) along the search_path. */
  private find<T>(map: Map<string, T>, schema: string | undefined, name: string): T | undefined {
    for (const s of schema ? [schema] : this.catalog.searchPath) {
      const hit = map.get(`${s}.${name}`);
      if (hit) return hit;
    }
    return undefined;
  }
  rel(schema: string | undefined, name: string | undefined): Rel | undefined {
    if (!name) return undefined;
    const table = this.find(this.n.tables, schema, name);
    if (table) return { kind: 'table', table };
    const view = this.find(this.n.views, schema, name);
    return view ? { kind: 'view', view } : undefined;
  }
  rangeVar(rv: N | undefined): Rel | undefined {
    return rv ? this.rel(rv.schemaname, rv.relname) : undefined;
  }
  index(schema: string | undefined, name: string | undefined): Index | undefined {
    return name ? this.find(this.n.indexes, schema, name) : undefined;
  }
  /** A relation named by a list of names (`[schema,] name`) — DROP, COMMENT — or an index's table. */
  named(items: string[]): Rel | undefined {
    const name = items[items.length - 1];
    const schema = items.length > 1 ? items[items.length - 2] : undefined;
    const rel = this.rel(schema, name);
    if (rel) return rel;
    const index = this.index(schema, name);
    const table = index ? tableByOid(this.catalog, index.tableOid) : undefined;
    return table ? { kind: 'table', table } : undefined;
  }

  add(rel: Rel | undefined, mode: LockMode, opts: { partitions?: boolean; viewBases?: boolean } = {}): void {
    if (!rel) return;
    const oid = rel.kind === 'table' ? rel.table.oid : rel.view.oid;
    const e = this.entries.get(oid) ?? { rel, mode };
    e.mode = addMode(e.mode, mode);
    if (opts.partitions ?? true) e.partitionMode = e.partitionMode ? addMode(e.partitionMode, mode) : mode;
    if (opts.viewBases) e.viewMode = e.viewMode ? addMode(e.viewMode, mode) : mode;
    this.entries.set(oid, e);
  }
  table(t: Table | undefined, mode: LockMode, opts: { partitions?: boolean } = {}): void {
    if (t) this.add({ kind: 'table', table: t }, mode, opts);
  }
  /** DML on `rel`: ROW EXCLUSIVE on it (and through a view on the tables it writes), FK effects later. */
  write(rel: Rel | undefined, kinds: [DmlKind, Set<string> | 'all'][]): void {
    if (!rel) return;
    this.add(rel, 'ROW EXCLUSIVE', { viewBases: true });
    const tables = rel.kind === 'table' ? [rel.table] : this.viewTables(rel.view);
    for (const t of tables) for (const [k, cols] of kinds) this.dmlOn(t, k, cols);
  }
  dmlOn(t: Table, kind: DmlKind, cols: Set<string> | 'all'): void {
    const e = this.dml.get(t.oid) ?? { table: t, kinds: new Map() };
    const had = e.kinds.get(kind);
    e.kinds.set(kind, had === 'all' || cols === 'all' ? 'all' : new Set([...(had ?? []), ...cols]));
    this.dml.set(t.oid, e);
  }
  viewTables(v: CatalogView, seen = new Set<number>()): Table[] {
    if (seen.has(v.oid)) return [];
    seen.add(v.oid);
    return v.reads.flatMap((oid) => {
      const t = tableByOid(this.catalog, oid);
      if (t) return [t];
      const inner = this.n.viewsByOid.get(oid);
      return inner && inner.kind === 'view' ? this.viewTables(inner, seen) : [];
    });
  }
  descendants(t: Table): Table[] {
    return (this.n.partitions.get(t.oid) ?? []).flatMap((p) => [p, ...this.descendants(p)]);
  }
  /** Tables referencing `t` by foreign key, transitively (TRUNCATE … CASCADE, DROP … CASCADE). */
  referencing(t: Table, seen = new Set<number>([t.oid])): Table[] {
    return fksReferencing(this.catalog, t).flatMap((c) => {
      if (seen.has(c.tableOid)) return [];
      seen.add(c.tableOid);
      const child = tableByOid(this.catalog, c.tableOid);
      return child ? [child, ...this.referencing(child, seen)] : [];
    });
  }
  fkParents(t: Table): Table[] {
    return fksOf(this.catalog, t).flatMap((c) => (c.foreignKey ? tableByOid(this.catalog, c.foreignKey.tableOid) ?? [] : []));
  }
}

const addMode = (a: LockMode, b: LockMode): LockMode => {
  const m: TableLocks = { x: a };
  addLock(m, 'x', b);
  return m.x!;
};

const strings = (list: unknown): string[] =>
  Array.isArray(list) ? list.flatMap((i) => (typeof i?.String?.sval === 'string' ? [i.String.sval as string] : [])) : [];

/** Statements that only touch catalog objects other than tables (types, functions, schemas, settings). */
const NO_TABLE_LOCK = new Set([
  'CreateFunctionStmt', 'CreateEnumStmt', 'CompositeTypeStmt', 'CreateDomainStmt', 'CreateSchemaStmt', 'VariableSetStmt',
  'VariableShowStmt', 'AlterRoleSetStmt', 'AlterDatabaseSetStmt', 'AlterEnumStmt', 'CreateSeqStmt', 'AlterSeqStmt',
  'DefineStmt', 'CreateRangeStmt', 'AlterFunctionStmt', 'CreateCastStmt', 'CreateExtensionStmt', 'GrantStmt', 'GrantRoleStmt',
  'CreateRoleStmt', 'AlterRoleStmt', 'AlterDefaultPrivilegesStmt', 'AlterStatsStmt', 'NotifyStmt', 'CheckPointStmt',
  'DiscardStmt', 'ListenStmt', 'UnlistenStmt', 'LoadStmt',
]);

/** Statement types this module reads; anything else is taken as ACCESS EXCLUSIVE on what it names. */
const KNOWN = new Set([
  ...NO_TABLE_LOCK, 'SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'CopyStmt', 'AlterTableStmt', 'IndexStmt',
  'DropStmt', 'TruncateStmt', 'LockStmt', 'VacuumStmt', 'ReindexStmt', 'ClusterStmt', 'RefreshMatViewStmt', 'CommentStmt',
  'CreateTrigStmt', 'CreatePolicyStmt', 'AlterPolicyStmt', 'RuleStmt', 'RenameStmt', 'AlterObjectSchemaStmt', 'CreateStmt',
  'CreateTableAsStmt', 'ViewStmt', 'CreateStatsStmt', 'ExplainStmt', 'DoStmt', 'CallStmt',
]);

export function statementLocks(sql: string, catalog: Catalog): StatementLocks {
  let stmt: N;
  try {
    stmt = (parseSync(sql) as { stmts: { stmt: N }[] }).stmts[0]?.stmt ?? {};
  } catch {
    return { locks: {}, lock: 'ACCESS EXCLUSIVE', transactional: true, opaque: true };
  }
  const c = new Collector(catalog);
  const type = Object.keys(stmt)[0] ?? '';
  const body = stmt[type] as N;

  // Every relation the statement reads: ACCESS SHARE (CTE names are not relations).
  // `FOR UPDATE OF x` names a FROM item, not a relation: its RangeVar is never looked up.
  const ctes = new Set<string>();
  const lockedNames = new Set<N>();
  walk(stmt, (t, node) => {
    if (t === 'CommonTableExpr' && typeof node.ctename === 'string') ctes.add(node.ctename);
    if (t === 'LockingClause') for (const r of (node.lockedRels ?? []) as N[]) if (r.RangeVar) lockedNames.add(r.RangeVar as N);
  });
  if (type !== 'GrantStmt') {
    walk(stmt, (t, node) => {
      if (t !== 'RangeVar' || lockedNames.has(node) || (!node.schemaname && ctes.has(node.relname))) return;
      c.add(c.rangeVar(node), 'ACCESS SHARE', { viewBases: true, partitions: type !== 'CreateStmt' });
    });
  }
  // Each statement node, nested ones too (data-modifying CTEs, EXPLAIN, SELECT … FOR UPDATE inside).
  const handle = (t: string, node: N) => HANDLERS[t]?.(c, node);
  handle(type, body);
  walk(body, (t, node) => {
    if (t in HANDLERS && t !== type) handle(t, node);
    if (t === 'FuncCall') {
      const name = strings(node.funcname);
      const fn = name[name.length - 1];
      const schema = name.length > 1 ? name[0] : undefined;
      if (catalog.functions.some((f) => f.name === fn && (schema ? f.schema === schema : catalog.searchPath.includes(f.schema)))) c.opaque = true;
    }
  });
  if (!KNOWN.has(type)) {
    c.opaque = true;
    walk(stmt, (t, node) => {
      if (t === 'RangeVar') c.add(c.rangeVar(node), 'ACCESS EXCLUSIVE');
    });
  }
  return finish(c);
}

/**
 * The relation a statement changes — DML's target, the table an ALTER/CREATE INDEX/trigger/rule/
 * COMMENT/DROP TRIGGER or DROP INDEX is on — qualified, unquoted; undefined when it names none in
 * the catalog. A step's `tables` also list what it only reads (sorted), so they cannot say this.
 */
export function statementTarget(sql: string, catalog: Catalog): string | undefined {
  let stmt: N;
  try {
    stmt = (parseSync(sql) as { stmts: { stmt: N }[] }).stmts[0]?.stmt ?? {};
  } catch {
    return undefined;
  }
  const c = new Collector(catalog);
  const type = Object.keys(stmt)[0] ?? '';
  const s = stmt[type] as N;
  const label = (rel: Rel | undefined) => (rel ? (rel.kind === 'table' ? rel.table.qualified : rel.view.qualified) : undefined);
  const named = (rv: N | undefined) => (rv ? label(c.named([...(rv.schemaname ? [rv.schemaname] : []), rv.relname])) : undefined);
  switch (type) {
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt':
    case 'CreateTrigStmt':
    case 'RuleStmt':
    case 'IndexStmt':
      return label(c.rangeVar(s.relation));
    case 'AlterTableStmt':
      return named(s.relation); // ALTER INDEX: the index's table
    case 'CommentStmt': {
      const items = strings(s.object?.List?.items);
      return label(c.named(s.objtype === 'OBJECT_TABLE' || s.objtype === 'OBJECT_INDEX' ? items : items.slice(0, -1)));
    }
    case 'DropStmt': {
      const items = strings((s.objects as N[] | undefined)?.[0]?.List?.items);
      if (s.removeType === 'OBJECT_INDEX') return label(c.named(items));
      return ['OBJECT_TRIGGER', 'OBJECT_RULE', 'OBJECT_POLICY'].includes(s.removeType) ? label(c.named(items.slice(0, -1))) : label(c.named(items));
    }
    default:
      return undefined;
  }
}

function finish(c: Collector): StatementLocks {
  const locks: TableLocks = {};
  const put = (rel: Rel, mode: LockMode) => addLock(locks, rel.kind === 'table' ? rel.table.qualified : rel.view.qualified, mode);
  const putTable = (t: Table, mode: LockMode, partitions: boolean) => {
    put({ kind: 'table', table: t }, mode);
    if (partitions) for (const p of c.descendants(t)) put({ kind: 'table', table: p }, mode);
  };
  for (const e of c.entries.values()) {
    put(e.rel, e.mode);
    if (e.rel.kind === 'table' && e.partitionMode) putTable(e.rel.table, e.partitionMode, true);
    // Using a view (read, write, LOCK) locks the tables its query reads, in the same mode.
    else if (e.rel.kind === 'view' && e.viewMode && e.rel.view.kind === 'view') for (const t of c.viewTables(e.rel.view)) putTable(t, e.viewMode, true);
  }
  // Foreign-key triggers a row change fires: checks of parents, actions on children.
  const seen = new Set<string>();
  const fire = (t: Table, kind: DmlKind, cols: Set<string> | 'all') => {
    const key = `${t.oid}:${kind}`;
    if (seen.has(key)) return;
    seen.add(key);
    for (const p of [t, ...c.descendants(t)]) {
      if (triggersOf(c.catalog, p).some((tr) => tr.enabled)) c.opaque = true;
      if (kind !== 'delete') {
        for (const fk of fksOf(c.catalog, p)) {
          if (!fk.foreignKey || !touches(cols, fk.columns)) continue;
          const parent = tableByOid(c.catalog, fk.foreignKey.tableOid);
          if (parent) putTable(parent, 'ROW SHARE', true);
        }
      }
      if (kind === 'insert') continue;
      for (const fk of fksReferencing(c.catalog, p)) {
        if (!fk.foreignKey || (kind === 'update' && !touches(cols, fk.foreignKey.columns))) continue;
        const child = tableByOid(c.catalog, fk.tableOid);
        if (!child) continue;
        const action = kind === 'delete' ? fk.foreignKey.onDelete : fk.foreignKey.onUpdate;
        if (action === 'no-action' || action === 'restrict') {
          putTable(child, 'ROW SHARE', true);
          continue;
        }
        putTable(child, 'ROW EXCLUSIVE', true);
        if (action === 'cascade' && kind === 'delete') fire(child, 'delete', 'all');
        else fire(child, 'update', new Set(fk.columns));
      }
    }
  };
  for (const { table, kinds } of c.dml.values()) for (const [kind, cols] of kinds) fire(table, kind, cols);
  return { locks, lock: strongestOf(locks) ?? 'ACCESS SHARE', transactional: c.transactional, opaque: c.opaque };
}

const touches = (cols: Set<string> | 'all', fkCols: string[]) => cols === 'all' || fkCols.some((x) => cols.has(x));

const targetColumns = (targets: unknown): Set<string> =>
  new Set(Array.isArray(targets) ? targets.flatMap((t) => (typeof t?.ResTarget?.name === 'string' ? [t.ResTarget.name as string] : [])) : []);

const hasOption = (options: unknown, name: string) =>
  Array.isArray(options) && options.some((o) => o?.DefElem?.defname === name && o.DefElem.arg?.Boolean?.boolval !== false && o.DefElem.arg?.Integer?.ival !== 0);

type Handler = (c: Collector, node: N) => void;

const HANDLERS: Record<string, Handler> = {
  SelectStmt(c, s) {
    // FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE: ROW SHARE on the tables they lock.
    for (const lc of (s.lockingClause ?? []) as N[]) {
      const clause = lc.LockingClause as N;
      // `OF x` names a FROM item of this query level by its alias (or its table's name when it has
      // none): that item's relations, however qualified — never a fresh lookup along the search_path.
      // A sub-SELECT item locks the tables it reads; no OF: every table read in FROM.
      const every = (node: unknown) => {
        const out: N[] = [];
        walk(node, (t, n) => t === 'RangeVar' && out.push(n));
        return out;
      };
      const items = new Map<string, N[]>();
      const fromItems = (node: unknown): void => {
        if (Array.isArray(node)) return node.forEach(fromItems);
        const n = node as N | undefined;
        if (n?.RangeVar) items.set(n.RangeVar.alias?.aliasname ?? n.RangeVar.relname, [n.RangeVar]);
        else if (n?.RangeSubselect?.alias) items.set(n.RangeSubselect.alias.aliasname, every(n.RangeSubselect.subquery));
        else if (n?.JoinExpr) {
          if (n.JoinExpr.alias) items.set(n.JoinExpr.alias.aliasname, every(n.JoinExpr));
          else [n.JoinExpr.larg, n.JoinExpr.rarg].forEach(fromItems);
        }
      };
      fromItems(s.fromClause);
      const rels = (clause.lockedRels as N[] | undefined)?.map((r) => r.RangeVar as N) ?? [];
      // A name no FROM item has is an error PostgreSQL raises: nothing to add.
      const targets = rels.length ? rels.flatMap((r) => (r.schemaname ? [] : (items.get(r.relname) ?? []))) : every(s.fromClause);
      for (const rv of targets) c.add(c.rangeVar(rv), 'ROW SHARE', { viewBases: true });
    }
  },
  InsertStmt(c, s) {
    const conflict = s.onConflictClause as N | undefined;
    const kinds: [DmlKind, Set<string> | 'all'][] = [['insert', 'all']];
    if (conflict?.action === 'ONCONFLICT_UPDATE') kinds.push(['update', targetColumns(conflict.targetList)]);
    c.write(c.rangeVar(s.relation), kinds);
  },
  UpdateStmt(c, s) {
    c.write(c.rangeVar(s.relation), [['update', targetColumns(s.targetList)]]);
  },
  DeleteStmt(c, s) {
    c.write(c.rangeVar(s.relation), [['delete', 'all']]);
  },
  MergeStmt(c, s) {
    const kinds: [DmlKind, Set<string> | 'all'][] = [];
    for (const w of (s.mergeWhenClauses ?? []) as N[]) {
      const m = w.MergeWhenClause as N;
      if (m.commandType === 'CMD_INSERT') kinds.push(['insert', 'all']);
      if (m.commandType === 'CMD_UPDATE') kinds.push(['update', targetColumns(m.targetList)]);
      if (m.commandType === 'CMD_DELETE') kinds.push(['delete', 'all']);
    }
    c.write(c.rangeVar(s.relation), kinds);
  },
  CopyStmt(c, s) {
    if (s.is_from) c.write(c.rangeVar(s.relation), [['insert', 'all']]);
  },
  AlterTableStmt(c, s) {
    const objtype = s.objtype as string;
    if (objtype === 'OBJECT_SEQUENCE' || objtype === 'OBJECT_TYPE') return;
    const rv = s.relation as N;
    const index = objtype === 'OBJECT_INDEX' ? c.index(rv.schemaname, rv.relname) : undefined;
    const target: Rel | undefined = index ? ((t) => (t ? { kind: 'table' as const, table: t } : undefined))(tableByOid(c.catalog, index.tableOid)) : c.rangeVar(rv);
    for (const cmd of (s.cmds ?? []) as N[]) {
      const effect: AlterEffect = alterTableCommand(cmd.AlterTableCmd as N, { index: index !== undefined, view: target?.kind === 'view' });
      if (!effect.transactional) c.transactional = false;
      c.add(target, effect.mode, { partitions: effect.recurse });
      applyAlterExtras(c, target, cmd.AlterTableCmd as N, effect);
    }
  },
  IndexStmt(c, s) {
    if (s.concurrent) c.transactional = false;
    c.add(c.rangeVar(s.relation), s.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE');
  },
  DropStmt(c, s) {
    const type = s.removeType as string;
    const cascade = s.behavior === 'DROP_CASCADE';
    for (const obj of (s.objects ?? []) as N[]) {
      const items = strings(obj.List?.items);
      if (type === 'OBJECT_TABLE' || type === 'OBJECT_VIEW' || type === 'OBJECT_MATVIEW' || type === 'OBJECT_FOREIGN_TABLE') {
        const rel = c.rel(items.length > 1 ? items[items.length - 2] : undefined, items[items.length - 1]);
        c.add(rel, 'ACCESS EXCLUSIVE');
        if (rel?.kind === 'table') dropTableExtras(c, rel.table, cascade);
      } else if (type === 'OBJECT_INDEX') {
        if (s.concurrent) c.transactional = false;
        c.add(c.named(items), s.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE');
      } else if (type === 'OBJECT_TRIGGER' || type === 'OBJECT_POLICY' || type === 'OBJECT_RULE') {
        c.add(c.named(items.slice(0, -1)), 'ACCESS EXCLUSIVE');
      }
    }
  },
  TruncateStmt(c, s) {
    for (const r of (s.relations ?? []) as N[]) {
      const rel = c.rangeVar(r.RangeVar);
      c.add(rel, 'ACCESS EXCLUSIVE');
      if (rel?.kind === 'table' && s.behavior === 'DROP_CASCADE') for (const t of c.referencing(rel.table)) c.table(t, 'ACCESS EXCLUSIVE');
    }
  },
  LockStmt(c, s) {
    for (const r of (s.relations ?? []) as N[]) c.add(c.rangeVar(r.RangeVar), fromLockNumber(s.mode), { viewBases: true });
  },
  VacuumStmt(c, s) {
    const full = hasOption(s.options, 'full');
    if (s.is_vacuumcmd) c.transactional = false;
    const mode: LockMode = s.is_vacuumcmd && full ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE';
    const rels = (s.rels ?? []) as N[];
    if (rels.length === 0) for (const t of c.catalog.tables) c.table(t, mode, { partitions: false });
    for (const r of rels) c.add(c.rangeVar(r.VacuumRelation?.relation), mode);
  },
  ReindexStmt(c, s) {
    const concurrently = hasOption(s.params, 'concurrently');
    const mode: LockMode = concurrently ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE';
    if (concurrently) c.transactional = false;
    const kind = s.kind as string;
    if (kind === 'REINDEX_OBJECT_INDEX') {
      const rv = s.relation as N;
      c.add(c.named([...(rv.schemaname ? [rv.schemaname] : []), rv.relname]), mode);
    } else if (kind === 'REINDEX_OBJECT_TABLE') c.add(c.rangeVar(s.relation), mode);
    else {
      // SCHEMA / SYSTEM / DATABASE: one transaction per table, never inside a transaction block.
      c.transactional = false;
      const schema = kind === 'REINDEX_OBJECT_SCHEMA' ? (s.name as string) : undefined;
      for (const t of c.catalog.tables) if (!schema || t.schema === schema) c.table(t, mode, { partitions: false });
    }
  },
  ClusterStmt(c, s) {
    if (!s.relation) {
      c.transactional = false;
      return;
    }
    c.add(c.rangeVar(s.relation), 'ACCESS EXCLUSIVE');
  },
  RefreshMatViewStmt(c, s) {
    const rel = c.rangeVar(s.relation);
    c.add(rel, s.concurrent ? 'EXCLUSIVE' : 'ACCESS EXCLUSIVE');
    if (rel?.kind === 'view') for (const t of c.viewTables(rel.view)) c.table(t, 'ACCESS SHARE');
  },
  CommentStmt(c, s) {
    const objtype = s.objtype as string;
    const items = strings(s.object?.List?.items);
    const onRelation = ['OBJECT_TABLE', 'OBJECT_INDEX', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE'];
    // A column's comment locks its table like the table's own; a constraint's, trigger's, policy's or rule's only reads it.
    const onMember = ['OBJECT_TABCONSTRAINT', 'OBJECT_TRIGGER', 'OBJECT_POLICY', 'OBJECT_RULE'];
    if (onRelation.includes(objtype)) c.add(c.named(items), 'SHARE UPDATE EXCLUSIVE', { partitions: false });
    else if (objtype === 'OBJECT_COLUMN') c.add(c.named(items.slice(0, -1)), 'SHARE UPDATE EXCLUSIVE', { partitions: false });
    else if (onMember.includes(objtype)) c.add(c.named(items.slice(0, -1)), 'ACCESS SHARE', { partitions: false });
  },
  CreateTrigStmt(c, s) {
    c.add(c.rangeVar(s.relation), 'SHARE ROW EXCLUSIVE');
  },
  CreatePolicyStmt(c, s) {
    c.add(c.rangeVar(s.table), 'ACCESS EXCLUSIVE', { partitions: false });
  },
  AlterPolicyStmt(c, s) {
    c.add(c.rangeVar(s.table), 'ACCESS EXCLUSIVE', { partitions: false });
  },
  RuleStmt(c, s) {
    c.add(c.rangeVar(s.relation), 'ACCESS EXCLUSIVE', { partitions: false });
  },
  RenameStmt(c, s) {
    const type = s.renameType as string;
    if (type === 'OBJECT_INDEX') {
      const rv = s.relation as N;
      c.add(c.named([...(rv.schemaname ? [rv.schemaname] : []), rv.relname]), 'SHARE UPDATE EXCLUSIVE', { partitions: false });
    } else if (s.relation) c.add(c.rangeVar(s.relation), 'ACCESS EXCLUSIVE', { partitions: type === 'OBJECT_COLUMN' || type === 'OBJECT_TABCONSTRAINT' });
  },
  AlterObjectSchemaStmt(c, s) {
    if (s.relation) c.add(c.rangeVar(s.relation), 'ACCESS EXCLUSIVE', { partitions: false });
  },
  CreateStmt(c, s) {
    for (const inh of (s.inhRelations ?? []) as N[]) {
      const parent = c.rangeVar(inh.RangeVar);
      if (!s.partbound) {
        c.add(parent, 'SHARE UPDATE EXCLUSIVE', { partitions: false });
        continue;
      }
      // PARTITION OF: the parent, its default partition, and the tables its foreign keys join.
      c.add(parent, 'ACCESS EXCLUSIVE', { partitions: false });
      if (parent?.kind !== 'table') continue;
      const dflt = c.descendants(parent.table).find((p) => p.partitionOfOid === parent.table.oid && p.partitionBound === 'DEFAULT');
      c.table(dflt, 'ACCESS EXCLUSIVE', { partitions: false });
      for (const t of c.fkParents(parent.table)) c.table(t, 'SHARE ROW EXCLUSIVE', { partitions: false });
    }
    walk(s.tableElts, (t, node) => {
      if (t === 'Constraint' && node.contype === 'CONSTR_FOREIGN') c.add(c.rangeVar(node.pktable), 'SHARE ROW EXCLUSIVE', { partitions: false });
    });
  },
  ViewStmt(c, s) {
    const existing = c.rangeVar(s.view);
    if (s.replace && existing) c.add(existing, 'ACCESS EXCLUSIVE');
  },
  CreateStatsStmt(c, s) {
    for (const r of (s.relations ?? []) as N[]) c.add(c.rangeVar(r.RangeVar), 'SHARE UPDATE EXCLUSIVE', { partitions: false });
  },
  TableLikeClause(c, s) {
    c.add(c.rangeVar(s.relation), 'ACCESS SHARE', { partitions: false });
  },
  DoStmt(c) {
    c.opaque = true;
  },
  CallStmt(c) {
    c.opaque = true;
  },
};

/** DROP TABLE: its foreign keys' triggers go from the parents; CASCADE drops the FKs of its children. */
function dropTableExtras(c: Collector, t: Table, cascade: boolean): void {
  for (const p of [t, ...c.descendants(t)]) {
    for (const parent of c.fkParents(p)) if (parent.oid !== t.oid) c.table(parent, 'ACCESS EXCLUSIVE', { partitions: false });
    if (cascade) for (const child of fksReferencing(c.catalog, p)) c.table(tableByOid(c.catalog, child.tableOid), 'ACCESS EXCLUSIVE', { partitions: false });
  }
  if (cascade) for (const v of dependentViews(c, t.oid)) c.add({ kind: 'view', view: v }, 'ACCESS EXCLUSIVE');
}

/** Views and materialized views reading `oid`, transitively: DROP … CASCADE drops them. */
function dependentViews(c: Collector, oid: number, seen = new Set<number>()): CatalogView[] {
  return (c.catalog.views ?? []).filter((v) => v.reads.includes(oid) && !seen.has(v.oid)).flatMap((v) => {
    seen.add(v.oid);
    return [v, ...dependentViews(c, v.oid, seen)];
  });
}

/** Other tables an ALTER TABLE subcommand locks: FK partners, partitions attached or detached. */
function applyAlterExtras(c: Collector, target: Rel | undefined, cmd: N, effect: AlterEffect): void {
  walk(cmd.def, (t, node) => {
    if (t === 'Constraint' && node.contype === 'CONSTR_FOREIGN') c.add(c.rangeVar(node.pktable), 'SHARE ROW EXCLUSIVE');
  });
  if (target?.kind !== 'table') return;
  const table = target.table;
  const sub = cmd.subtype as string;
  const fks = (filter: (k: Constraint) => boolean) => fksOf(c.catalog, table).filter(filter);
  if (sub === 'AT_AddInherit' || sub === 'AT_DropInherit') c.add(c.rangeVar(cmd.def?.RangeVar), 'SHARE UPDATE EXCLUSIVE', { partitions: false });
  if (sub === 'AT_ValidateConstraint') for (const k of fks((k) => k.name === cmd.name)) c.table(tableByOid(c.catalog, k.foreignKey!.tableOid), 'ROW SHARE');
  if (sub === 'AT_DropConstraint') {
    for (const k of fks((k) => k.name === cmd.name)) c.table(tableByOid(c.catalog, k.foreignKey!.tableOid), 'ACCESS EXCLUSIVE', { partitions: false });
    // A key other tables' foreign keys depend on: CASCADE drops those FKs.
    if (cmd.behavior === 'DROP_CASCADE') for (const k of fksReferencing(c.catalog, table)) c.table(tableByOid(c.catalog, k.tableOid), 'ACCESS EXCLUSIVE', { partitions: false });
  }
  if (sub === 'AT_AlterColumnType' || sub === 'AT_DropColumn') {
    // FKs on the column are dropped and rebuilt (type) or dropped (column): their other table is locked too.
    for (const k of fks((k) => k.columns.includes(cmd.name))) c.table(tableByOid(c.catalog, k.foreignKey!.tableOid), 'ACCESS EXCLUSIVE', { partitions: false });
    for (const k of fksReferencing(c.catalog, table).filter((k) => k.foreignKey!.columns.includes(cmd.name))) c.table(tableByOid(c.catalog, k.tableOid), 'ACCESS EXCLUSIVE', { partitions: false });
  }
  if (sub === 'AT_AttachPartition' || sub === 'AT_DetachPartition' || sub === 'AT_DetachPartitionFinalize') {
    const part = c.rangeVar(cmd.def?.PartitionCmd?.name);
    c.add(part, effect.partitionMode ?? 'ACCESS EXCLUSIVE', { partitions: false });
    const dflt = c.descendants(table).find((p) => p.partitionOfOid === table.oid && p.partitionBound === 'DEFAULT');
    if (dflt && dflt.oid !== (part?.kind === 'table' ? part.table.oid : -1)) c.table(dflt, 'ACCESS EXCLUSIVE', { partitions: false });
    // Foreign keys of the parent are cloned onto (or detached from) the partition.
    if (effect.transactional) {
      for (const t of c.fkParents(table)) c.table(t, 'SHARE ROW EXCLUSIVE', { partitions: false });
      if (part?.kind === 'table') for (const t of c.fkParents(part.table)) c.table(t, 'SHARE ROW EXCLUSIVE', { partitions: false });
    }
  }
}
