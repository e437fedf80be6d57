import pg from 'pg';

/**
 * A database's state as one comparable value: the DDL-level schema (columns, constraints,
 * indexes, triggers, functions of user schemas) and an md5 of every table's rows in a stable
 * order. Used to prove "nothing changed" and "rollback restored it exactly". Sequences' positions
 * are left out (nextval is never rolled back, by design of PostgreSQL).
 */
export interface DbState {
  schema: string;
  rows: Record<string, string>;
}

const SCHEMA_SQL = `
SELECT string_agg(line, E'\\n' ORDER BY line) AS schema FROM (
  SELECT format('col %s.%s.%s %s %s %s', n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)) AS line
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname <> 'pgmend'
  UNION ALL
  SELECT format('con %s.%s %s %s %s', n.nspname, c.relname, co.conname, pg_get_constraintdef(co.oid), co.convalidated)
  FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE co.contype <> 'n' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname <> 'pgmend'
  UNION ALL
  SELECT format('idx %s %s', pg_get_indexdef(i.indexrelid), i.indisvalid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname <> 'pgmend'
  UNION ALL
  SELECT format('trg %s %s', pg_get_triggerdef(t.oid), t.tgenabled)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE NOT t.tgisinternal AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname <> 'pgmend'
  UNION ALL
  SELECT format('fn %s.%s(%s) %s', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), md5(pg_get_functiondef(p.oid)))
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE p.prokind IN ('f', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname <> 'pgmend'
    AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.objid = p.oid AND dep.deptype = 'e')
  UNION ALL
  SELECT format('type %s.%s %s', n.nspname, t.typname, (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid))
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE t.typtype IN ('e', 'd') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname <> 'pgmend'
) s`;

export async function dbState(url: string, opts: { includePgmend?: boolean } = {}): Promise<DbState> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: s } = await client.query(SCHEMA_SQL);
    const { rows: tables } = await client.query(
      `SELECT format('%I.%I', n.nspname, c.relname) AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
         AND ($1 OR n.nspname <> 'pgmend') ORDER BY 1`,
      [opts.includePgmend ?? false],
    );
    const rows: Record<string, string> = {};
    for (const { t } of tables) {
      const { rows: r } = await client.query(`SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h, count(*) AS n FROM ${t} x`);
      rows[t] = `${r[0].n}:${r[0].h}`;
    }
    return { schema: s[0].schema ?? '', rows };
  } finally {
    await client.end();
  }
}
