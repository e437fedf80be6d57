import type { IndexElem, IndexStmt } from 'libpg-query';
import { names, referencedColumns, tableName } from './ast.js';
import { singleAlter } from './alter-table.js';
import type { Candidate, MapResult } from './candidate.js';
import { deparse } from './sql-parser.js';
import type { Statement } from './statements.js';

/**
 * `CREATE UNIQUE INDEX` and `ADD CONSTRAINT … UNIQUE` → `unique`; `CREATE INDEX [CONCURRENTLY]` →
 * `index`. Keys are column names or expression text (`lower(display_name)`).
 */
const CONCURRENTLY = 'CONCURRENTLY is a mode, not a param: `--mode online` builds the index concurrently';

export function mapIndex(stmt: Statement): MapResult {
  if ('IndexStmt' in stmt.node) return mapCreateIndex(stmt, stmt.node.IndexStmt);
  const alter = singleAlter(stmt);
  if (alter?.constraint?.contype === 'CONSTR_UNIQUE') {
    const c = alter.constraint;
    if (c.indexname) return { rejected: 'UNIQUE USING INDEX: adopts an existing index, no playbook for that' };
    if ((c.including ?? []).length > 0) return { rejected: 'UNIQUE … INCLUDE: not a unique playbook param' };
    if (c.nulls_not_distinct) return { rejected: 'NULLS NOT DISTINCT: the unique playbook treats NULLs as distinct' };
    if (c.deferrable || c.initdeferred) return { rejected: 'DEFERRABLE: not a unique playbook param' };
    const columns = names(c.keys);
    return { candidate: uniqueCandidate(stmt, alter.table, columns, columns, undefined, c.conname) };
  }
  return undefined;
}

function mapCreateIndex(stmt: Statement, index: IndexStmt): MapResult {
  const table = tableName(index.relation);
  const unique = index.unique === true;
  if (index.accessMethod && index.accessMethod !== 'btree') {
    return { rejected: `USING ${index.accessMethod}: the ${unique ? 'unique' : 'index'} playbook builds btree indexes` };
  }
  const elems = (index.indexParams ?? []).flatMap((n) => ('IndexElem' in n ? [n.IndexElem] : []));
  if (elems.some((e) => (e.opclass ?? []).length > 0 || (e.collation ?? []).length > 0)) {
    return { rejected: 'operator class or collation on a key: not a playbook param' };
  }
  const where = index.whereClause ? deparse(index.whereClause) : undefined;
  const matchColumns = elems.flatMap((e) => (e.name ? [e.name] : referencedColumns(e.expr)));
  if (unique) {
    if ((index.indexIncludingParams ?? []).length > 0) return { rejected: 'unique index with INCLUDE: not a unique playbook param' };
    if (index.nulls_not_distinct) return { rejected: 'NULLS NOT DISTINCT: the unique playbook treats NULLs as distinct' };
    // Sort order does not change what is unique, so keys carry only the column or expression.
    const candidate = uniqueCandidate(stmt, table, elems.map(keyText), matchColumns, where, index.idxname);
    if (index.concurrent) candidate.notes = [CONCURRENTLY];
    return { candidate };
  }
  const include = (index.indexIncludingParams ?? []).flatMap((n) => ('IndexElem' in n && n.IndexElem.name ? [n.IndexElem.name] : []));
  // Keys are columns or expressions; a sort order is not part of either, so it is noted, not kept.
  const columns = elems.map(keyText);
  const ordered = elems.filter((e) => ordering(e) !== '').map((e) => keyText(e) + ordering(e));
  const candidate: Candidate = {
    playbook: 'index',
    params: {
      table,
      columns,
      ...(where ? { where } : {}),
      ...(include.length > 0 ? { include } : {}),
      ...(index.idxname ? { name: index.idxname } : {}),
    },
    statements: [stmt],
    id: `IDX-${index.idxname ?? `${table.split('.').pop()}_${matchColumns.join('_')}_idx`}`,
    description: `index on ${table} (${columns.join(', ')})${where ? ` WHERE ${where}` : ''}`,
    match: { table, columns: matchColumns },
  };
  const notes = [
    ...(index.concurrent ? [CONCURRENTLY] : []),
    ...(ordered.length > 0 ? [`sort order dropped (${ordered.join(', ')}): index keys are columns or expressions`] : []),
  ];
  if (notes.length > 0) candidate.notes = notes;
  return { candidate };
}

function uniqueCandidate(
  stmt: Statement,
  table: string,
  columns: string[],
  matchColumns: string[],
  where: string | undefined,
  name: string | undefined,
): Candidate {
  return {
    playbook: 'unique',
    params: { table, columns, ...(where ? { where } : {}), ...(name ? { name } : {}) },
    statements: [stmt],
    id: `UQ-${name ?? `${table.split('.').pop()}_${matchColumns.join('_')}_key`}`,
    description: `${table} (${columns.join(', ')}) unique${where ? ` WHERE ${where}` : ''}`,
    match: { table, columns: matchColumns },
  };
}

/** A key as the playbooks take it: the column name, or the expression's text. */
function keyText(elem: IndexElem): string {
  return elem.name ?? (elem.expr ? deparse(elem.expr) : '');
}

function ordering(elem: IndexElem): string {
  const dir = elem.ordering === 'SORTBY_DESC' ? ' DESC' : elem.ordering === 'SORTBY_ASC' ? ' ASC' : '';
  const nulls =
    elem.nulls_ordering === 'SORTBY_NULLS_FIRST' ? ' NULLS FIRST' : elem.nulls_ordering === 'SORTBY_NULLS_LAST' ? ' NULLS LAST' : '';
  return dir + nulls;
}
