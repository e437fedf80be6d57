import type pg from 'pg';
import { CATALOG_SQL, FUNCTION_DEF_SQL, SCOPED_CATALOG_SQL } from './catalog-sql.js';
import { parseName, type NamePart } from './names.js';
import { quoteIdent } from './quote.js';
import { UsageError } from '../util/errors.js';

/**
 * The user schema as plain data (JSON-serialisable, so it can be snapshotted), read in one round
 * trip. Names are values, as stored (case kept). `qualified` is `schema.name` unquoted: a display
 * label and the key plans use for a table, never SQL — SQL gets a table through `sqlName(table)`
 * (quote.ts), and a plan's label back to its table through `tableByLabel`.
 */

export type FkAction = 'cascade' | 'set-null' | 'set-default' | 'restrict' | 'no-action';
/** p primary key, u unique, f foreign key, c check, x exclusion. NOT NULL lives on the column. */
export type ConstraintType = 'p' | 'u' | 'f' | 'c' | 'x';
export type TriggerFiring = 'origin' | 'always' | 'replica' | 'disabled';
export type FunctionKind = 'function' | 'procedure' | 'aggregate' | 'window';

export interface Column {
  name: string;
  attnum: number;
  /** format_type(), e.g. `character varying(45)`, `numeric(5,2)`. */
  type: string;
  /** Non-default collation, else null. */
  collation: string | null;
  notNull: boolean;
  /** False only for a NOT NULL added NOT VALID (PostgreSQL 18+). */
  notNullValidated: boolean;
  /** pg_get_expr of the default; null for generated columns (see `generated`). */
  default: string | null;
  identity: 'always' | 'by-default' | null;
  generated: { kind: 'stored' | 'virtual'; expression: string } | null;
}

export interface Table {
  oid: number;
  schema: string;
  name: string;
  /** `schema.name`, unquoted. */
  qualified: string;
  kind: 'table' | 'partitioned';
  /** For a partition: its parent (qualified) and bound. */
  partitionOf: string | null;
  partitionOfOid: number | null;
  partitionBound: string | null;
  /** For a partitioned table: pg_get_partkeydef, e.g. `RANGE (payment_date)`. */
  partitionKey: string | null;
  columns: Column[];
  /** Primary key columns in key order; empty when there is none. */
  primaryKey: string[];
  /** pg_class.reltuples; null when never analyzed. */
  estimatedRows: number | null;
}

export interface ForeignKeyInfo {
  /** Referenced table, qualified. */
  table: string;
  tableOid: number;
  /** Its schema and name as stored (unquoted), for SQL that must name it exactly. */
  schema: string;
  name: string;
  columns: string[];
  onDelete: FkAction;
  onUpdate: FkAction;
}

export interface Constraint {
  oid: number;
  name: string;
  /** Qualified name of the table it is on. */
  table: string;
  tableOid: number;
  type: ConstraintType;
  /** pg_get_constraintdef (already ends in NOT VALID when not validated). */
  definition: string;
  validated: boolean;
  deferrable: boolean;
  deferred: boolean;
  /** Cloned from a partitioned parent or inherited. */
  inherited: boolean;
  columns: string[];
  /** Set for type 'f'. */
  foreignKey: ForeignKeyInfo | null;
  /** Backing index (p/u/x) or the referenced unique index (f). */
  indexOid: number | null;
}

export interface Index {
  oid: number;
  name: string;
  schema: string;
  table: string;
  tableOid: number;
  unique: boolean;
  primary: boolean;
  /** indisvalid: false after a failed CREATE INDEX CONCURRENTLY. */
  valid: boolean;
  ready: boolean;
  method: string;
  /** pg_get_indexdef. */
  definition: string;
  /** Key columns in order; null where the key is an expression. */
  columns: (string | null)[];
  include: string[];
  predicate: string | null;
  /** Name of the constraint (p/u/x) this index implements, else null. */
  constraint: string | null;
}

export interface Trigger {
  oid: number;
  name: string;
  table: string;
  tableOid: number;
  enabled: boolean;
  firing: TriggerFiring;
  /** pg_get_triggerdef. */
  definition: string;
  /** `schema.name` of the trigger function (may be pg_catalog). */
  function: string;
  functionOid: number;
  /** Cloned from a partitioned parent. */
  inherited: boolean;
}

export interface FunctionInfo {
  oid: number;
  schema: string;
  name: string;
  qualified: string;
  identityArgs: string;
  kind: FunctionKind;
  language: string;
  /** md5 of pg_get_functiondef: changes whenever the definition does. */
  hash: string;
  /** Full definition, loaded for trigger functions only; use functionDef() for the others. */
  definition: string | null;
}

/** A view or materialized view; `reads` are the oids of the tables and views its query reads. */
export interface CatalogView {
  oid: number;
  schema: string;
  name: string;
  qualified: string;
  kind: 'view' | 'matview';
  reads: number[];
}

export interface Catalog {
  server: { version: string; versionNum: number };
  /** current_schemas(false) when the catalog was read. */
  searchPath: string[];
  schemas: string[];
  tables: Table[];
  constraints: Constraint[];
  indexes: Index[];
  triggers: Trigger[];
  functions: FunctionInfo[];
  /** Absent in catalogs snapshotted before views were read. */
  views?: CatalogView[];
}

// --- loading -----------------------------------------------------------------------------------

interface RawColumn {
  name: string;
  attnum: number;
  type: string;
  collation: string | null;
  notNull: boolean;
  notNullValidated: boolean;
  expression: string | null;
  identity: string;
  generated: string;
}

interface RawTable {
  oid: number;
  schema: string;
  name: string;
  kind: 'r' | 'p';
  parentOid: number | null;
  partitionBound: string | null;
  partitionKey: string | null;
  reltuples: number;
  columns: RawColumn[];
  primaryKey: string[] | null;
}

interface RawConstraint extends Omit<Constraint, 'table' | 'foreignKey'> {
  refSchema: string | null;
  refName: string | null;
  refOid: number | null;
  refColumns: string[] | null;
  onDelete: string;
  onUpdate: string;
}

type RawIndex = Omit<Index, 'table'>;

interface RawTrigger extends Omit<Trigger, 'table' | 'enabled' | 'firing' | 'function'> {
  firing: string;
  functionSchema: string;
  functionName: string;
}

interface RawFunction extends Omit<FunctionInfo, 'qualified' | 'kind'> {
  kind: string;
}

interface RawCatalog {
  server_version: string;
  server_version_num: number;
  search_path: string[];
  schemas: string[];
  tables: RawTable[];
  constraints: RawConstraint[];
  indexes: RawIndex[];
  triggers: RawTrigger[];
  functions: RawFunction[];
  views: { oid: number; schema: string; name: string; kind: 'v' | 'm'; reads: number[] }[];
}

const FK_ACTIONS: Record<string, FkAction> = { a: 'no-action', r: 'restrict', c: 'cascade', n: 'set-null', d: 'set-default' };
const FIRING: Record<string, TriggerFiring> = { O: 'origin', A: 'always', R: 'replica', D: 'disabled' };
const FUNCTION_KINDS: Record<string, FunctionKind> = { f: 'function', p: 'procedure', a: 'aggregate', w: 'window' };

export const qualify = (schema: string, name: string): string => `${schema}.${name}`;

/** A scoped read (see loadCatalog). */
export interface CatalogScope {
  /** Table references: labels or names as users write them. */
  tables: readonly string[];
  /**
   * Prepare the statement under this name: planned once, not per read (planning is most of a
   * scoped read's time). The caller deallocates it; a name of its own per caller, so that behind a
   * transaction pooler no other client's backend already holds it.
   */
  statement?: string;
}

/**
 * The names a scoped read selects tables by (catalog-sql.ts SCOPED_CATALOG_SQL): the references
 * as labels, and their last parts folded to lower case. Undefined (read everything) when a name is
 * not ASCII — PostgreSQL's folding of it need not be JavaScript's — or does not parse.
 */
function scopeParams(tables: readonly string[]): [string[], string[]] | undefined {
  const folded: string[] = [];
  for (const ref of tables) {
    let last: NamePart | undefined;
    try {
      last = parseName(ref, 'table', 2).at(-1);
    } catch {
      return undefined;
    }
    if (!last || !/^[\x00-\x7f]*$/.test(last.text)) return undefined;
    folded.push(last.text.toLowerCase());
  }
  return [[...tables], folded];
}

/**
 * Reads the whole user schema in one query. Runs inside whatever transaction the client is in.
 * `unopened`: oids of tables not to open (another session holds them): their definitions, indexes
 * and triggers are left out. `scope`: read only the tables these references can name (and their
 * partition parents), with their constraints, indexes, triggers and trigger functions — enough for
 * schemaDdl and the lookups of those tables; other tables, functions and views are absent.
 */
export async function loadCatalog(client: pg.Client, unopened: number[] = [], scope?: CatalogScope): Promise<Catalog> {
  const scoped = scope ? scopeParams(scope.tables) : undefined;
  const { rows } = await client.query<RawCatalog>(
    scoped ? { text: SCOPED_CATALOG_SQL, values: [unopened, ...scoped], ...(scope?.statement ? { name: scope.statement } : {}) } : { text: CATALOG_SQL, values: [unopened] },
  );
  const raw = rows[0]!;
  const nameOf = new Map(raw.tables.map((t) => [t.oid, qualify(t.schema, t.name)]));
  const tableName = (oid: number) => nameOf.get(oid) ?? `#${oid}`;

  const tables: Table[] = raw.tables.map((t) => ({
    oid: t.oid,
    schema: t.schema,
    name: t.name,
    qualified: qualify(t.schema, t.name),
    kind: t.kind === 'p' ? 'partitioned' : 'table',
    partitionOf: t.parentOid === null ? null : tableName(t.parentOid),
    partitionOfOid: t.parentOid,
    partitionBound: t.partitionBound,
    partitionKey: t.partitionKey,
    columns: t.columns.map(toColumn),
    primaryKey: t.primaryKey ?? [],
    estimatedRows: t.reltuples < 0 ? null : t.reltuples,
  }));

  const constraints: Constraint[] = raw.constraints.map(({ refSchema, refName, refOid, refColumns, onDelete, onUpdate, ...c }) => ({
    ...c,
    table: tableName(c.tableOid),
    foreignKey:
      c.type === 'f' && refSchema !== null && refName !== null && refOid !== null
        ? { table: qualify(refSchema, refName), tableOid: refOid, schema: refSchema, name: refName, columns: refColumns ?? [], onDelete: fkAction(onDelete), onUpdate: fkAction(onUpdate) }
        : null,
  }));

  const indexes: Index[] = raw.indexes.map((i) => ({ ...i, table: tableName(i.tableOid) }));

  const triggers: Trigger[] = raw.triggers.map(({ functionSchema, functionName, firing, ...t }) => ({
    ...t,
    table: tableName(t.tableOid),
    firing: FIRING[firing] ?? 'origin',
    enabled: firing !== 'D',
    function: qualify(functionSchema, functionName),
  }));

  const functions: FunctionInfo[] = raw.functions.map((f) => ({
    ...f,
    qualified: qualify(f.schema, f.name),
    kind: FUNCTION_KINDS[f.kind] ?? 'function',
  }));

  return {
    server: { version: raw.server_version, versionNum: raw.server_version_num },
    searchPath: raw.search_path,
    schemas: raw.schemas,
    tables,
    constraints,
    indexes,
    triggers,
    functions,
    views: raw.views.map((v) => ({ ...v, qualified: qualify(v.schema, v.name), kind: v.kind === 'm' ? 'matview' : 'view' })),
  };
}

function toColumn(c: RawColumn): Column {
  const generated = c.generated === 's' ? 'stored' : c.generated === 'v' ? 'virtual' : null;
  return {
    name: c.name,
    attnum: c.attnum,
    type: c.type,
    collation: c.collation,
    notNull: c.notNull,
    notNullValidated: c.notNullValidated,
    default: generated ? null : c.expression,
    identity: c.identity === 'a' ? 'always' : c.identity === 'd' ? 'by-default' : null,
    generated: generated ? { kind: generated, expression: c.expression ?? '' } : null,
  };
}

function fkAction(code: string): FkAction {
  const action = FK_ACTIONS[code];
  if (!action) throw new Error(`unexpected foreign key action code ${JSON.stringify(code)}`);
  return action;
}

/** The full CREATE FUNCTION text (null for aggregates and unknown oids). */
export async function functionDef(client: pg.Client, oid: number): Promise<string | null> {
  const { rows } = await client.query<{ def: string | null }>(FUNCTION_DEF_SQL, [oid]);
  return rows[0]?.def ?? null;
}

// --- lookups -------------------------------------------------------------------------------------

/** Per-catalog indexes, built on first use: lookups stay O(1) on schemas with thousands of tables. */
interface Lookup {
  byQualified: Map<string, Table>;
  byOid: Map<number, Table>;
  /** Table names per schema. */
  namesIn: Map<string, string[]>;
  constraints: Map<number, Constraint[]>;
  referencing: Map<number, Constraint[]>;
  indexes: Map<number, Index[]>;
  triggers: Map<number, Trigger[]>;
}

const lookups = new WeakMap<Catalog, Lookup>();

function groupBy<T>(items: T[], key: (t: T) => number | undefined): Map<number, T[]> {
  const map = new Map<number, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

function namesBySchema(tables: Table[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const t of tables) {
    const list = map.get(t.schema);
    if (list) list.push(t.name);
    else map.set(t.schema, [t.name]);
  }
  return map;
}

function lookup(catalog: Catalog): Lookup {
  let l = lookups.get(catalog);
  if (!l) {
    l = {
      byQualified: new Map(catalog.tables.map((t) => [qualify(t.schema, t.name), t])),
      byOid: new Map(catalog.tables.map((t) => [t.oid, t])),
      namesIn: namesBySchema(catalog.tables),
      constraints: groupBy(catalog.constraints, (c) => c.tableOid),
      referencing: groupBy(catalog.constraints, (c) => c.foreignKey?.tableOid),
      indexes: groupBy(catalog.indexes, (i) => i.tableOid),
      triggers: groupBy(catalog.triggers, (t) => t.tableOid),
    };
    lookups.set(catalog, l);
  }
  return l;
}

/**
 * A table by reference, the ways people write one: as the catalog spells it (`InvoiceLine`,
 * `Billing.Invoice`), quoted (`"InvoiceLine"`, `public."InvoiceLine"`), or in lower case
 * (`invoiceline`). An unquoted part matches, in order: exactly as written; folded to lower case, as
 * PostgreSQL reads it; the one spelling equal but for case, when only one is. An unqualified name
 * is looked up along the search_path, first schema first. Undefined when there is no such table;
 * throws UsageError on a malformed or ambiguous name.
 */
export function findTable(catalog: Catalog, ref: string): Table | undefined {
  const parts = parseName(ref, 'table', 2);
  const l = lookup(catalog);
  const last = parts[parts.length - 1]!;
  const schemas = parts.length === 2 ? matchNames(catalog.schemas, parts[0]!, 'schema') : catalog.searchPath;
  for (const schema of schemas) {
    const [name] = matchNames(l.namesIn.get(schema) ?? [], last, 'table', schema);
    if (name !== undefined) return l.byQualified.get(qualify(schema, name));
  }
  return undefined;
}

/**
 * The names among `names` a written part means: exact, else PostgreSQL's lower-case folding, else
 * the one name equal but for case (unquoted parts only). Several equal but for case: ambiguous.
 */
export function matchNames(names: readonly string[], part: NamePart, what: string, inSchema?: string): string[] {
  if (names.includes(part.text)) return [part.text];
  if (part.quoted) return [];
  const folded = part.text.toLowerCase();
  if (names.includes(folded)) return [folded];
  const caseless = names.filter((n) => n.toLowerCase() === folded);
  if (caseless.length > 1) {
    const spelled = caseless.map((n) => quoteIdent(n)).sort();
    throw new UsageError(
      `ambiguous ${what} name ${JSON.stringify(part.text)}${inSchema ? ` in schema ${quoteIdent(inSchema)}` : ''}: ${spelled.join(' and ')} differ only in case`,
      `write it exactly as the catalog spells it, or quoted: ${spelled.map((n) => `'${n}'`).join(' or ')}`,
    );
  }
  return caseless;
}

/** The table a plan labels `schema.name` (its `qualified`): exact, no folding, no search_path. */
export function tableByLabel(catalog: Catalog, label: string): Table | undefined {
  return lookup(catalog).byQualified.get(label);
}

/** A plan's label first (exact), else a name as a user writes it; undefined when neither finds one. */
export function tableByRef(catalog: Catalog, ref: string): Table | undefined {
  const t = tableByLabel(catalog, ref);
  if (t) return t;
  try {
    return findTable(catalog, ref);
  } catch {
    return undefined;
  }
}

export function tableByOid(catalog: Catalog, oid: number): Table | undefined {
  return lookup(catalog).byOid.get(oid);
}

/** A column by name, the same ways as a table (see findTable): `createdAt`, `"createdAt"`, `createdat`. */
export function findColumn(table: Table, name: string): Column | undefined {
  const [part] = parseName(name, 'column', 1);
  const [found] = matchNames(table.columns.map((c) => c.name), part!, 'column');
  return found === undefined ? undefined : table.columns.find((c) => c.name === found);
}

export function constraintsOf(catalog: Catalog, table: Table): Constraint[] {
  return lookup(catalog).constraints.get(table.oid) ?? [];
}

/** Foreign keys declared on `table` (it is the child). */
export function fksOf(catalog: Catalog, table: Table): Constraint[] {
  return constraintsOf(catalog, table).filter((c) => c.type === 'f');
}

/** Foreign keys of any table that reference `table` (it is the parent). */
export function fksReferencing(catalog: Catalog, table: Table): Constraint[] {
  return lookup(catalog).referencing.get(table.oid) ?? [];
}

export function indexesOf(catalog: Catalog, table: Table): Index[] {
  return lookup(catalog).indexes.get(table.oid) ?? [];
}

export function triggersOf(catalog: Catalog, table: Table): Trigger[] {
  return lookup(catalog).triggers.get(table.oid) ?? [];
}
