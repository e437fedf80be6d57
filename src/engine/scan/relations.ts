import { constraintsOf, fksOf, indexesOf, tableByOid, type Catalog, type Column, type Table } from '../../db/catalog.js';
import { singular, words } from './names.js';

/**
 * Which column points at which table's key: declared single-column foreign keys, and the implied
 * ones a column's name suggests (checked against the data by the implied-foreign-key rule).
 *
 * Name forms, for a column `c` of type compatible with the parent key `k` (a single-column primary
 * key, or unique index over one NOT NULL column):
 * - `<table>_id`, `<singular>_id`, `<Table>Id`, `<table>Id` (`users`/`user_id`, `categories`/`category_id`,
 *   `Customer`/`CustomerId`), also with a qualifier before it (`last_accessed_lesson_id` → lesson);
 * - tables with a prefix (`<app>_<model>` as Django names them: `learning_lesson` for `lesson_id`);
 * - the key's own name when it is not `id`, alone or qualified (`staff_id`, `manager_staff_id` → staff.staff_id).
 * Candidates are ordered by how much of the name matched; the data decides between them.
 */
export interface Pointer {
  /** The table the column is in. */
  child: Table;
  column: Column;
  parent: Table;
  key: Column;
  /** Declared foreign key, or guessed from the name. */
  declared: boolean;
  /** Words of the name that matched (more is a better match). */
  score: number;
}

export interface Relations {
  /** Declared single-column FKs and implied candidates, by child table oid. */
  pointers: Map<number, Pointer[]>;
}

const INTEGERS = new Set(['smallint', 'integer', 'bigint']);
const TEXTS = /^(text|character varying|character|citext)(\(\d+\))?$/;

export function compatible(a: string, b: string): boolean {
  if (a === b) return true;
  if (INTEGERS.has(a) && INTEGERS.has(b)) return true;
  return TEXTS.test(a) && TEXTS.test(b);
}

/** The single column rows of `t` are identified by, if any. */
export function singleKey(catalog: Catalog, t: Table): Column | undefined {
  if (t.primaryKey.length === 1) return t.columns.find((c) => c.name === t.primaryKey[0]);
  if (t.primaryKey.length > 1) return undefined;
  for (const i of indexesOf(catalog, t)) {
    if (!i.unique || !i.valid || i.predicate !== null || i.columns.length !== 1 || i.columns[0] === null) continue;
    const c = t.columns.find((x) => x.name === i.columns[0]);
    if (c?.notNull) return c;
  }
  return undefined;
}

/** The strings a table answers to: its name in words, singular, and without a prefix. */
function tableForms(name: string): string[] {
  const w = words(name);
  const forms = new Set<string>();
  for (let start = 0; start < w.length; start++) {
    const tail = w.slice(start);
    forms.add(tail.join('_'));
    forms.add([...tail.slice(0, -1), singular(tail[tail.length - 1]!)].join('_'));
  }
  return [...forms];
}

export function findRelations(catalog: Catalog, tables: Table[]): Relations {
  const pointers = new Map<number, Pointer[]>();
  const parents = catalog.tables
    .filter((t) => t.kind === 'table' || t.kind === 'partitioned')
    .filter((t) => t.partitionOf === null)
    .map((t) => ({ t, key: singleKey(catalog, t), forms: tableForms(t.name) }))
    .filter((p): p is { t: Table; key: Column; forms: string[] } => p.key !== undefined);
  for (const table of tables) {
    const list: Pointer[] = [];
    const declared = new Set<string>();
    // A partitioned table's foreign keys may be declared on its partitions only.
    const partitions = table.kind === 'partitioned' ? catalog.tables.filter((t) => t.partitionOfOid === table.oid) : [];
    for (const fk of partitions.flatMap((t) => fksOf(catalog, t))) for (const c of fk.columns) declared.add(c);
    for (const fk of fksOf(catalog, table)) {
      for (const c of fk.columns) declared.add(c);
      if (fk.columns.length !== 1 || !fk.foreignKey) continue;
      const parent = tableByOid(catalog, fk.foreignKey.tableOid);
      const column = table.columns.find((c) => c.name === fk.columns[0]);
      const key = parent?.columns.find((c) => c.name === fk.foreignKey!.columns[0]);
      if (parent && column && key) list.push({ child: table, column, parent, key, declared: true, score: 99 });
    }
    const ownKey = table.primaryKey.length === 1 ? table.primaryKey[0] : undefined;
    for (const column of table.columns) {
      if (declared.has(column.name) || column.name === ownKey || column.generated) continue;
      const w = words(column.name);
      for (const p of parents) {
        if (!compatible(column.type, p.key.type)) continue;
        const score = nameScore(w, p.forms, words(p.key.name));
        if (score > 0 && !(p.t.oid === table.oid && column.name === p.key.name)) list.push({ child: table, column, parent: p.t, key: p.key, declared: false, score });
      }
    }
    pointers.set(table.oid, list);
  }
  return { pointers };
}

/** How many words of the column name point at the table (0: none). */
function nameScore(col: string[], forms: string[], key: string[]): number {
  // The key's own name (not plain `id`): `staff_id`, `manager_staff_id`.
  if (!(key.length === 1 && key[0] === 'id') && col.length >= key.length && key.every((k, i) => col[col.length - key.length + i] === k)) return key.length + 1;
  if (col.length < 2 || col[col.length - 1] !== 'id') return 0;
  const stem = col.slice(0, -1);
  for (let start = 0; start < stem.length; start++) {
    const tail = stem.slice(start).join('_');
    if (forms.includes(tail)) return stem.length - start;
  }
  return 0;
}

/** Columns a CHECK constraint of the table names. */
export function checkedColumns(catalog: Catalog, t: Table): Set<string> {
  return new Set(constraintsOf(catalog, t).filter((c) => c.type === 'c').flatMap((c) => c.columns));
}

/** Single columns already unique (primary key or a unique index without predicate). */
export function uniqueColumns(catalog: Catalog, t: Table): Set<string> {
  const out = new Set<string>(t.primaryKey.length === 1 ? t.primaryKey : []);
  for (const i of indexesOf(catalog, t)) if (i.unique && i.predicate === null && i.columns.length === 1 && i.columns[0]) out.add(i.columns[0]);
  return out;
}
