import { quoteIdent } from '../../../db/quote.js';
import { indexesOf, type Column, type Table } from '../../../db/catalog.js';
import { uniqueColumns } from '../relations.js';
import { keyProbe, pct, type DataRule, type DataRuleContext, type Probe } from '../probe.js';
import type { KeyStats } from '../table-read.js';
import type { Proposal } from '../model.js';
import { columnParam, tableParam, words } from '../names.js';

/**
 * Near-unique columns and natural keys (NULLs are distinct, as in a unique index; at least
 * `uniqueMinRows`, default 10, rows with no NULL in the key):
 * - one column — text/varchar/uuid, or pointing at another table — whose distinct values are at
 *   least `uniqueMinRatio` (default 95%) of its rows, with some duplicates → `unique`, medium;
 * - one column entirely unique with no constraint, when its name says it identifies a row (email,
 *   username, login, handle, slug, sku, `*_key`, `*_uuid`, `*_code`, `*_number`, `name`), or
 *   (`code`, `number`, `name` only in a bounded varchar/char, and `name` not in a table of people),
 *   or when it is a NOT NULL column pointing at another table (a 1:1 extension such as a profile) →
 *   `unique`, low;
 * - a pair: two columns pointing at two different tables (a link table's `(user_id, course_id)`),
 *   or a column pointing at a table with an identifying text column (`(tenant_id, slug)`, `(album_id,
 *   name)`), with no unique index over them, near-unique by the same ratio, with duplicates →
 *   `unique` on the pair, medium. A column proposed within a pair is not also proposed alone.
 * Person names (first_name, last_name, full_name…) are never candidates.
 * Evidence: duplicate rows and groups, and the largest groups.
 */
const TEXTISH = /^(text|character varying|character|citext|uuid)(\(\d+\))?$/;
const STRONG = new Set(['email', 'username', 'login', 'handle', 'slug', 'sku', 'key', 'uuid']);
/** Weaker names identify only in a bounded varchar/char (a `text` "code" is source code). */
const WEAK = new Set(['code', 'number', 'name']);
const BOUNDED = /^(character varying|character)\(\d+\)$/;
const PERSON = /(first|last|middle|given|family|full|display|legal|sur|nick)_?name$|^name_(first|last)$/i;
/** Tables of people: their `name` is a person's name, not an identifier. */
const PEOPLE = /^(users?|people|persons?|customers?|employees?|members?|contacts?|staff|accounts?|authors?|profiles?)$/;

function identifying(table: Table, c: Column): boolean {
  if (!TEXTISH.test(c.type)) return false;
  const last = words(c.name).at(-1) ?? '';
  if (STRONG.has(last)) return true;
  return WEAK.has(last) && BOUNDED.test(c.type) && !(words(c.name).join('_') === 'name' && PEOPLE.test(words(table.name).at(-1) ?? ''));
}

export const uniqueRule: DataRule = (ctx, table) => {
  const unique = uniqueColumns(ctx.catalog, table);
  const pointers = (ctx.relations.pointers.get(table.oid) ?? []).filter((p) => !unique.has(p.column.name));
  const pointing = new Set(pointers.map((p) => p.column.name));
  const candidates = table.columns.filter((c) => !unique.has(c.name) && !c.generated && !PERSON.test(c.name) && (TEXTISH.test(c.type) || pointing.has(c.name)));
  // On a sampled table, a key ANALYZE estimates at under half the ratio is not asked (see fewValued).
  const probes: Probe[] = candidates
    .filter((c) => !fewValued(ctx, table, [c.name]))
    .map((c) => single(ctx, table, c.name, identifying(table, c) || (pointing.has(c.name) && c.notNull)));
  const covered = indexesOf(ctx.catalog, table).filter((i) => i.unique && i.predicate === null);
  const pairs: [string, string][] = [];
  const ptr = [...new Map(pointers.map((p) => [p.column.name, p])).values()].slice(0, 4);
  for (let i = 0; i < ptr.length; i++) for (let j = i + 1; j < ptr.length; j++) if (ptr[i]!.parent.oid !== ptr[j]!.parent.oid) pairs.push([ptr[i]!.column.name, ptr[j]!.column.name]);
  const named = candidates.filter((c) => identifying(table, c) && !pointing.has(c.name)).slice(0, 4);
  for (const p of ptr.slice(0, 2)) for (const c of named) pairs.push([p.column.name, c.name]);
  for (const [a, b] of pairs) {
    if (covered.some((x) => x.columns.every((c) => c === a || c === b)) || fewValued(ctx, table, [a, b])) continue;
    probes.push(pair(ctx, table, a, b));
  }
  return probes;
};

/**
 * Whether ANALYZE's estimates (large sampled tables only) show the key cannot be near-unique: its
 * distinct values — for a pair, at most the product of its columns' — under half of
 * `uniqueMinRatio` of the table's rows. The margin covers the estimate's error; a column with no
 * statistics is asked.
 */
function fewValued(ctx: DataRuleContext, table: Table, columns: string[]): boolean {
  const rows = table.estimatedRows ?? 0;
  let distinct = 1;
  for (const c of columns) {
    const d = ctx.distinct(table, c);
    if (d === null) return false;
    distinct *= d;
  }
  return rows > 0 && distinct < (rows * ctx.thresholds.uniqueMinRatio) / 2;
}

/** Drops a single-column proposal whose column is also proposed within a pair of the same table. */
export function preferPairs(proposals: Proposal[]): Proposal[] {
  const inPairs = new Set(proposals.filter((p) => p.code === 'UNIQUE' && (p.params.columns as string[]).length > 1).flatMap((p) => p.params.columns as string[]));
  return proposals.filter((p) => !(p.code === 'UNIQUE' && (p.params.columns as string[]).length === 1 && inPairs.has((p.params.columns as string[])[0]!)));
}

function single(ctx: DataRuleContext, table: Table, column: string, identifying: boolean): Probe {
  return keyProbe(`t.${quoteIdent(column)}`, (s) => {
    if (s.nonNullRows < ctx.thresholds.uniqueMinRows) return null;
    const ratio = s.groups / s.nonNullRows;
    if (s.dupRows > 0 ? ratio < ctx.thresholds.uniqueMinRatio : !identifying) return null;
    return proposal(ctx, table, [column], s, ratio);
  });
}

function pair(ctx: DataRuleContext, table: Table, a: string, b: string): Probe {
  const [x, y] = [`t.${quoteIdent(a)}`, `t.${quoteIdent(b)}`];
  return keyProbe(`CASE WHEN ${x} IS NOT NULL AND ${y} IS NOT NULL THEN ROW(${x}, ${y}) END`, (s) => {
    if (s.nonNullRows < ctx.thresholds.uniqueMinRows || s.dupRows === 0) return null;
    const ratio = s.groups / s.nonNullRows;
    if (ratio < ctx.thresholds.uniqueMinRatio) return null;
    return proposal(ctx, table, [a, b], s, ratio);
  });
}

function proposal(ctx: DataRuleContext, table: Table, columns: string[], s: KeyStats, ratio: number): Proposal {
  const largest = s.top.filter((g) => g.rows > 1).slice(0, 5).map((g) => `${g.value} ×${g.rows}`);
  return {
    code: 'UNIQUE',
    severity: s.dupRows > 0 ? 'medium' : 'low',
    title: `${table.name}(${columns.join(', ')}) is ${s.dupRows > 0 ? 'nearly' : 'entirely'} unique but nothing enforces it`,
    playbook: 'unique',
    params: { table: tableParam(ctx.catalog, table), columns: columns.map(columnParam) },
    evidence:
      `${s.groups} distinct of ${s.nonNullRows} rows with no NULL in the key (${pct(ratio)}); ` +
      (s.dupRows > 0 ? `${s.dupRows} rows in ${s.dupGroups} duplicate group(s), largest: ${largest.join(', ')}` : 'no duplicates; the column identifies a row by its name or is a 1:1 link'),
  };
}
