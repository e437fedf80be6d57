import { quoteIdent, quoteQualified } from '../../../db/quote.js';
import type { Column, Table } from '../../../db/catalog.js';
import type { Pointer } from '../relations.js';
import { uniqueColumns } from '../relations.js';
import { pct, type DataRule, type DataRuleContext, type Probe } from '../probe.js';
import type { TableRead } from '../table-read.js';
import { columnParam, tableParam } from '../names.js';

/**
 * Counters: an integer column of a parent that equals count(*) of a child's rows pointing at it
 * (over a declared foreign key or an implied one) on most rows. A counter that needs repair has
 * drifted, so the match rate is weighed with the name:
 * - named like a counter (`*_count`, `*Count`, `*count` but not discount/account, `*_cnt`, `count_*`,
 *   `total_*`, `num_*`, `n_*`, `number_of_*`, `totalX`, `numX`): at least `counterNamedMinMatch` (default 75%: one wrong on a fifth of its rows is still a counter) of rows match;
 * - any other name: at least `counterMinMatch` (default 90%) of rows match.
 * Rows where the counter is NULL count as not matching. Some matching count must be above zero,
 * and for a name that is not a counter's, at least two different counts must match (a column of
 * zeros beside an empty child, or of ones beside one child each, is no counter); some rows must drift (a
 * counter with zero drift needs nothing). Proposed: `counter` with the count expression; severity
 * medium (high past 10% drift). Where several children fit, the best match wins.
 */
const NAMED = (name: string) => /(?<!dis|ac)count$|(^|_)cnt$/i.test(name) || /^(count|total|num|n|number_of)_|^(total|num)[A-Z]/.test(name);
const INTEGER = new Set(['smallint', 'integer', 'bigint']);

/** The children a table's counter candidates compare with (none when it has no candidate column). */
export function countedChildren(ctx: DataRuleContext, table: Table): { key: Column; columns: Column[]; children: Pointer[] } | null {
  const key = table.primaryKey.length === 1 ? table.columns.find((c) => c.name === table.primaryKey[0]) : undefined;
  if (!key) return null;
  const children: Pointer[] = [];
  for (const [oid, list] of ctx.relations.pointers) {
    if (oid === table.oid) continue;
    for (const p of list) if (p.parent.oid === table.oid && p.key.name === key.name && p.child.name !== table.name && p.child.partitionOf === null) children.push(p);
  }
  if (children.length === 0) return null;
  const pointing = new Set((ctx.relations.pointers.get(table.oid) ?? []).map((p) => p.column.name));
  const unique = uniqueColumns(ctx.catalog, table);
  const columns = table.columns.filter(
    (c) => INTEGER.has(c.type) && !c.identity && !c.generated && !unique.has(c.name) && !pointing.has(c.name) && !/(^|_)id$|[a-z]Id$/.test(c.name),
  );
  return columns.length ? { key, columns, children } : null;
}

export const counter: DataRule = (ctx, table) => {
  const found = countedChildren(ctx, table);
  return found ? found.columns.map((c) => probe(ctx, table, found.key, c, found.children)) : [];
};

/**
 * Per parent row, the count of a child's rows pointing at it: the child's own read returned them
 * (children are read first: one grouped read per child table for all its parents), bound as arrays;
 * only when it could not (its read failed, too many groups, a cycle of counters) a grouped read of
 * the child joins the parent's statement.
 */
function childCount(ctx: DataRuleContext, read: TableRead, key: Column, p: Pointer): string {
  const j = `pgmend_n_${p.child.oid}_${p.column.attnum}`;
  const counted = ctx.childCounts.get(countKey(p.child, p.column.name));
  if (read.joined(j)) return `coalesce(${j}.n, 0)`;
  if (counted) {
    const keys = read.param(counted.map((g) => g.value));
    const counts = read.param(counted.map((g) => g.rows));
    read.join(`${j} AS (SELECT k, n FROM unnest(${keys}::${key.type}[], ${counts}::bigint[]) AS c(k, n))`, j, `${j}.k = t.${quoteIdent(key.name)}`);
  } else {
    const fk = quoteIdent(p.column.name);
    read.join(`${j} AS (SELECT ${fk} AS k, count(*) AS n FROM ${quoteQualified(p.child.schema, p.child.name)} WHERE ${fk} IS NOT NULL GROUP BY ${fk})`, j, `${j}.k = t.${quoteIdent(key.name)}`);
  }
  return `coalesce(${j}.n, 0)`;
}

/** How data.ts files the counts of one child column for its parents. */
export const countKey = (child: Table, column: string): string => `${child.oid}:${column}`;

function probe(ctx: DataRuleContext, table: Table, key: Column, column: Column, rels: Pointer[]): Probe {
  const named = NAMED(column.name);
  const min = named ? ctx.thresholds.counterNamedMinMatch : ctx.thresholds.counterMinMatch;
  const col = `t.${quoteIdent(column.name)}`;
  // One key per child: the count where the column equals it (NULL elsewhere): its non-null rows are the matches, its range the counts matched.
  let keys: string[] = [];
  return {
    register(read) {
      keys = rels.map((p) => {
        const n = childCount(ctx, read, key, p);
        return read.key(read.inner(`CASE WHEN ${col} = ${n} THEN ${n} END`), { range: true });
      });
    },
    evaluate(r) {
      if (r.rows === 0) return null;
      const scored = rels
        .map((p, i) => {
          const s = r.keys.get(keys[i]!);
          return { p, child: p.child, match: s?.nonNullRows ?? 0, lo: Number(s?.lo), hi: Number(s?.hi) };
        })
        .filter((x) => x.match > 0 && (named ? x.hi > 0 : x.hi > x.lo))
        .sort((a, b) => b.match - a.match);
      const best = scored[0];
      if (!best) return null;
      const share = best.match / r.rows;
      const drift = r.rows - best.match;
      if (share < min || drift === 0) return null;
      const childRef = quoteIdent(best.child.name);
      const expression = `(SELECT count(*) FROM ${quoteQualified(best.child.schema, best.child.name)} WHERE ${childRef}.${quoteIdent(best.p.column.name)} = ${quoteIdent(table.name)}.${quoteIdent(key.name)})`;
      return {
        code: 'COUNTER',
        severity: drift / r.rows > 0.1 ? 'high' : 'medium',
        title: `${table.name}.${column.name} counts ${best.child.name} rows and has drifted on ${drift} row(s)`,
        playbook: 'counter',
        params: { table: tableParam(ctx.catalog, table), column: columnParam(column.name), expression },
        evidence:
          `${best.match} of ${r.rows} rows (${pct(share)}) equal the count of ${best.child.qualified} rows whose ${best.p.column.name} points at them ` +
          `(${best.p.declared ? 'foreign key' : 'implied by the name'}; counts ${best.lo}..${best.hi}); ${drift} row(s) drift; ` +
          `threshold ${pct(min)} (${named ? 'named like a counter' : 'name not a counter name'})`,
      };
    },
  };
}
