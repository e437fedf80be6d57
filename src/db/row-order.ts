import type { Table } from './catalog.js';
import { quoteIdent } from './quote.js';

/**
 * How pgmend orders a table's rows wherever the order must be repeatable (samples, the keep
 * oldest/newest ranking, the resolve preview): by the primary key, else by the row's physical
 * position (ctid). No other column is sure to sort (`ORDER BY 1` fails on json or point) or to
 * tell rows apart. `of` qualifies the columns (a quoted table name) where other tables are joined.
 * How rollback *matches* rows without a primary key is row-match.ts's tableKey.
 */
export function rowOrder(table: Pick<Table, 'primaryKey'> | undefined, of?: string): string[] {
  const q = of ? `${of}.` : '';
  return table?.primaryKey.length ? table.primaryKey.map((c) => q + quoteIdent(c)) : [`${q}ctid`];
}
