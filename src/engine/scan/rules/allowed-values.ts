import { quoteIdent } from '../../../db/quote.js';
import type { Table } from '../../../db/catalog.js';
import { checkedColumns, uniqueColumns } from '../relations.js';
import { keyProbe, pct, type DataRule, type Probe } from '../probe.js';
import { columnParam, tableParam } from '../names.js';

/**
 * Enum-like columns: a text/varchar/char column with no CHECK naming it, at least `enumMinRows`
 * (default 20) non-null rows, 2 to `enumMaxValues` (default 12) distinct values, and at least 4
 * rows per value on average. Columns whose name says free text (name, title, description, email,
 * url, slug, …) are skipped, and so are keys and columns pointing at other tables (`*_id`). A value holding less than `enumRareShare` (default 2%) of the rows is
 * flagged rare; a rare value that is another value in a different case or with extra spaces
 * (`PAID` beside `paid`) is suspect and left out of the proposed list, so `plan` shows its rows as
 * violations to resolve. Proposed: `allowed-values` with the other observed values; severity
 * medium when a value is suspect, else low.
 */
const ID = /(^|_)id$|[a-z]Id$/;
const TEXT = /^(text|character varying|character|citext)(\(\d+\))?$/;
const FREE_TEXT = /(^|_)(name|title|description|desc|email|url|uri|slug|path|token|hash|note|notes|comment|body|message|address|phone|text|label|summary|bio|password|key)$|[a-z](Name|Title|Email|Url|Description)$/i;

export const allowedValues: DataRule = (ctx, table) => {
  const checked = checkedColumns(ctx.catalog, table);
  const unique = uniqueColumns(ctx.catalog, table);
  const pointing = new Set((ctx.relations.pointers.get(table.oid) ?? []).map((p) => p.column.name));
  return table.columns
    .filter((c) => TEXT.test(c.type) && !checked.has(c.name) && !unique.has(c.name) && !pointing.has(c.name) && !c.generated && !FREE_TEXT.test(c.name) && !ID.test(c.name))
    .map((c) => probe(ctx, table, c.name));
};

function probe(ctx: Parameters<typeof allowedValues>[0], table: Table, column: string): Probe {
  const t = ctx.thresholds;
  return keyProbe(`t.${quoteIdent(column)}`, (s) => {
    if (s.nonNullRows < t.enumMinRows || s.groups < 2 || s.groups > t.enumMaxValues || s.groups * 4 > s.nonNullRows) return null;
    const values = s.top;
    const norm = (v: string) => v.trim().toLowerCase();
    const rare = values.filter((v) => v.rows / s.nonNullRows < t.enumRareShare);
    const suspect = rare.filter((v) => values.some((o) => o !== v && o.rows > v.rows && norm(o.value) === norm(v.value)));
    const keep = values.filter((v) => !suspect.includes(v)).map((v) => v.value).sort();
    const counts = values.map((v) => `${v.value}: ${v.rows}${suspect.includes(v) ? ' (suspect)' : rare.includes(v) ? ' (rare)' : ''}`).join(', ');
    return {
      code: 'VALUES',
      severity: suspect.length ? 'medium' : 'low',
      title: `${table.name}.${column} holds ${s.groups} distinct values and no CHECK limits them`,
      playbook: 'allowed-values',
      params: { table: tableParam(ctx.catalog, table), column: columnParam(column), values: keep },
      evidence:
        `${s.nonNullRows} non-null rows, ${s.groups} distinct values: ${counts}` +
        (suspect.length ? `; ${suspect.map((v) => v.value).join(', ')} left out: a rarer spelling of another value` : '') +
        (rare.length ? `; rare is under ${pct(t.enumRareShare)} of rows` : ''),
    };
  });
}
