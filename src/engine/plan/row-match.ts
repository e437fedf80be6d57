import { indexesOf, tableByLabel, type Catalog, type Table } from '../../db/catalog.js';
import type { FindingPlan } from './plan-model.js';
import { Refusal } from '../../util/errors.js';
import type { LiteralValue } from '../../db/quote.js';
import { displayName } from '../../db/quote.js';
import { isRowChange } from './steps.js';

/**
 * How rollback finds a changed row again, decided before anything changes: by the primary key,
 * else by a NOT NULL unique key (a valid, non-partial unique index on plain columns), else by the
 * whole row — every column the change leaves alone, plus the values it set. Rows equal in every
 * column are interchangeable, so the whole-row match restores the same multiset of rows. A table
 * whose rows cannot be told apart that way (a column type without equality, such as json or
 * point; a value computed by an expression, as a counter repair's) is refused with why.
 */

export type MatchKind = 'primary-key' | 'unique-key' | 'whole-row';

export interface RowMatch {
  kind: MatchKind;
  /** Columns compared (for whole-row: every column the change leaves alone). */
  columns: string[];
  /** Whole-row only: the values the change writes, by column (null for SET NULL). */
  set?: Record<string, LiteralValue>;
}

export type MatchOutcome = { ok: true; match: RowMatch } | { ok: false; why: string };

/** Base types PostgreSQL has no equality (no default btree operator class) for. */
const NO_EQUALITY = new Set(['json', 'point', 'xml', 'line', 'lseg', 'box', 'path', 'polygon', 'circle', 'tsvector', 'tsquery', 'txid_snapshot', 'pg_snapshot', 'aclitem']);

function lacksEquality(type: string): boolean {
  return NO_EQUALITY.has(type.replace(/(\[\])+$/, '').replace(/\(.*\)$/, '').trim());
}

/** The key rollback matches rows of `table` by, whatever the change. */
export function tableKey(catalog: Catalog, table: Table): RowMatch | undefined {
  if (table.primaryKey.length) return { kind: 'primary-key', columns: [...table.primaryKey] };
  const notNull = new Set(table.columns.filter((c) => c.notNull).map((c) => c.name));
  const unique = indexesOf(catalog, table)
    .filter((i) => i.unique && i.valid && i.predicate === null && i.columns.length > 0 && i.columns.every((c) => c !== null && notNull.has(c)))
    .sort((a, b) => a.columns.length - b.columns.length || a.name.localeCompare(b.name))[0];
  return unique ? { kind: 'unique-key', columns: unique.columns as string[] } : undefined;
}

/**
 * How rollback will match the rows a change updates. `set` is what the change writes (column →
 * value), or undefined when the new values are computed (a counter repair).
 */
export function rowMatch(catalog: Catalog, table: Table, changed: string[], set: Record<string, LiteralValue> | undefined): MatchOutcome {
  const key = tableKey(catalog, table);
  if (key) {
    const overlap = key.columns.filter((c) => changed.includes(c));
    if (overlap.length === 0) return { ok: true, match: key };
    if (key.kind === 'primary-key') return { ok: false, why: `the change writes its primary key column(s) ${overlap.join(', ')}, so rollback could not find the rows by it` };
  }
  const label = displayName(table);
  if (!set) return { ok: false, why: `${label} has no primary key or NOT NULL unique key, and the new values are computed, so rollback could not tell the changed rows apart — add a primary key first` };
  const columns = table.columns.filter((c) => !c.generated && !changed.includes(c.name));
  const bad = columns.filter((c) => lacksEquality(c.type));
  if (bad.length) {
    return { ok: false, why: `${label} has no primary key or NOT NULL unique key, and its column(s) ${bad.map((c) => `${c.name} (${c.type})`).join(', ')} have no equality, so rollback could not match the rows by their whole row — add a primary key first` };
  }
  return { ok: true, match: { kind: 'whole-row', columns: columns.map((c) => c.name), set } };
}

/**
 * Apply, before the first statement: every backed-up update can be matched back, by the match the
 * plan recorded, against the schema as it is now. Refuses naming each finding and why.
 */
export function checkRowMatching(catalog: Catalog, selected: readonly FindingPlan[]): void {
  const refused: string[] = [];
  for (const f of selected) {
    for (const rc of f.steps) {
      // Deleted rows are re-inserted whole: no match needed.
      if (!isRowChange(rc) || rc.changes === 'delete') continue;
      // The finding's table: a step's `tables` also lists what it only reads.
      const label = f.table ?? rc.backup.tables[0];
      const table = label ? tableByLabel(catalog, label) : undefined;
      if (!table) continue; // the stale check names a table that went away
      const why = unmatched(catalog, table, rc.match);
      if (why) refused.push(`${f.id} (${displayName(table)}): ${why}`);
    }
  }
  if (refused.length) {
    throw new Refusal(`rollback could not put back rows this apply would change — ${[...new Set(refused)].join('; ')}`, 'nothing was changed; add a primary key to those tables, or leave those findings out (--only)');
  }
}

function unmatched(catalog: Catalog, table: Table, match: RowMatch | undefined): string | undefined {
  if (!match) return 'the plan does not say how rollback matches its rows (made by an older pgmend): run plan again';
  if (match.kind === 'whole-row') {
    const bad = table.columns.filter((c) => match.columns.includes(c.name) && lacksEquality(c.type));
    const missing = match.columns.filter((c) => !table.columns.some((x) => x.name === c));
    if (missing.length) return `column(s) ${missing.join(', ')} no longer exist`;
    return bad.length ? `column(s) ${bad.map((c) => `${c.name} (${c.type})`).join(', ')} have no equality to match the whole row by` : undefined;
  }
  const key = match.kind === 'primary-key' ? table.primaryKey : undefined;
  const present =
    match.kind === 'primary-key'
      ? JSON.stringify(key) === JSON.stringify(match.columns)
      : indexesOf(catalog, table).some((i) => i.unique && i.valid && i.predicate === null && JSON.stringify(i.columns) === JSON.stringify(match.columns));
  return present ? undefined : `its ${match.kind} (${match.columns.join(', ')}) that rollback would match rows by is gone`;
}
