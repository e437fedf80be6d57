import { quoteIdent, quoteQualified } from '../../../db/quote.js';
import type { Column, Table } from '../../../db/catalog.js';
import type { Pointer } from '../relations.js';
import { uniqueColumns } from '../relations.js';
import { pct, type DataRule, type Probe } from '../probe.js';
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

export const counter: DataRule = (ctx, table) => {
  const key = table.primaryKey.length === 1 ? table.columns.find((c) => c.name === table.primaryKey[0]) : undefined;
  if (!key) return [];
  const children: Pointer[] = [];
  for (const [oid, list] of ctx.relations.pointers) {
    if (oid === table.oid) continue;
    for (const p of list) if (p.parent.oid === table.oid && p.key.name === key.name) children.push(p);
  }
  if (children.length === 0) return [];
  const pointing = new Set((ctx.relations.pointers.get(table.oid) ?? []).map((p) => p.column.name));
  const unique = uniqueColumns(ctx.catalog, table);
  const columns = table.columns.filter(
    (c) => INTEGER.has(c.type) && !c.identity && !c.generated && !unique.has(c.name) && !pointing.has(c.name) && !/(^|_)id$|[a-z]Id$/.test(c.name),
  );
  return columns.map((c) => probe(ctx, table, key, c, children));
};

function probe(ctx: Parameters<typeof counter>[0], table: Table, key: Column, column: Column, children: Pointer[]): Probe {
  const named = NAMED(column.name);
  const min = named ? ctx.thresholds.counterNamedMinMatch : ctx.thresholds.counterMinMatch;
  const col = `t.${quoteIdent(column.name)}`;
  const rels = children
    .map((p) => ({ p, child: p.child }))
    .filter((x) => x.child.name !== table.name && x.child.partitionOf === null);
  let aliases: { match: string; lo: string; hi: string }[] = [];
  return {
    register(read) {
      aliases = rels.map(({ p, child }) => {
        const j = `pgmend_n_${child.oid}_${p.column.attnum}`;
        const fk = quoteIdent(p.column.name);
        read.join(`${j} AS (SELECT ${fk} AS k, count(*) AS n FROM ${quoteQualified(child.schema, child.name)} WHERE ${fk} IS NOT NULL GROUP BY ${fk})`, j, `${j}.k = t.${quoteIdent(key.name)}`);
        const n = read.inner(`coalesce(${j}.n, 0)`);
        const m = read.inner(`${col} = coalesce(${j}.n, 0)`);
        return { match: read.agg(`count(*) FILTER (WHERE ${m})`), lo: read.agg(`min(${n}) FILTER (WHERE ${m})`), hi: read.agg(`max(${n}) FILTER (WHERE ${m})`) };
      });
    },
    evaluate(r) {
      if (r.rows === 0) return null;
      const scored = rels
        .map((x, i) => ({ ...x, match: Number(r.aggs.get(aliases[i]!.match) ?? 0), lo: Number(r.aggs.get(aliases[i]!.lo)), hi: Number(r.aggs.get(aliases[i]!.hi)) }))
        .filter((x) => (named ? x.hi > 0 : x.hi > x.lo))
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
