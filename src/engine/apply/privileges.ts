import type pg from 'pg';
import type { Catalog } from '../../db/catalog.js';
import type { FindingPlan } from '../plan/plan-model.js';
import { statements, type Statement } from '../plan/steps.js';
import { Refusal } from '../../util/errors.js';
import { statementTarget } from '../../playbooks/statement-locks.js';

/**
 * Before apply changes anything: can this role do every step? ALTER TABLE, CREATE INDEX and
 * CREATE TRIGGER need the table's owner (or a member of its role), CREATE INDEX also CREATE on the
 * table's schema, a trigger function CREATE on its schema; a foreign key needs REFERENCES
 * on the parent; resolutions need SELECT and UPDATE (rows are locked FOR UPDATE) plus DELETE or
 * UPDATE; the journal and the backups need CREATE on the database (CREATE SCHEMA IF NOT EXISTS
 * checks it even when the schema exists) and, once the `pgmend` schema exists, its privileges.
 * A read-only session (default_transaction_read_only, a standby) is refused the same way.
 * Without this, a missing privilege fails the run at the step that needs it, halfway through.
 */

/** `by` is who needs it: a finding id, or "the journal". */
type Need =
  | { kind: 'owner'; table: string; verb: string; by: string }
  | { kind: 'table'; table: string; privilege: string; by: string }
  | { kind: 'schema'; schema: string; privilege: string; by: string }
  | { kind: 'database'; privilege: string; by: string };

const JOURNAL = 'the journal';
const OWNER_VERBS = /^(ALTER\s+TABLE|CREATE\s+(UNIQUE\s+)?INDEX|CREATE\s+(CONSTRAINT\s+)?TRIGGER|DROP\s+TRIGGER|DROP\s+INDEX|CREATE\s+RULE|COMMENT\s+ON)\b/i;

/**
 * What one step needs, from its SQL verb and the table it changes (`schemaOf`: a table's schema).
 * A step's `tables` also list what it only reads (sorted by name), so the changed table is the
 * statement's target — for a backup, which writes pgmend's table, the finding's own table.
 */
function stepNeeds(f: FindingPlan, s: Statement, catalog: Catalog, schemaOf: (table: string) => string | undefined): Need[] {
  const { step } = s;
  const by = f.id;
  const sql = step.sql.trimStart();
  const isBackup = s.role === 'backup' || /^INSERT\s+INTO\s+pgmend\./i.test(sql);
  const main = (isBackup ? f.table : statementTarget(step.sql, catalog)) ?? f.table ?? step.tables.find((t) => !t.startsWith('pgmend.'));
  const others = step.tables.filter((t) => t !== main);
  if (/^CREATE\s+SCHEMA\b/i.test(sql)) return [{ kind: 'database', privilege: 'CREATE', by }];
  if (/^CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?pgmend\./i.test(sql)) return [{ kind: 'schema', schema: 'pgmend', privilege: 'CREATE', by }];
  // A trigger function goes into its schema (unqualified: the first of the search_path).
  const fn = /^CREATE\s+(OR\s+REPLACE\s+)?FUNCTION\s+(?:("(?:[^"]|"")+"|[^\s.(]+)\.)?/i.exec(sql);
  if (fn) return [{ kind: 'schema', schema: fn[2]?.replace(/^"(.*)"$/s, '$1').replace(/""/g, '"') ?? '', privilege: 'CREATE', by }];
  if (!main) return [];
  // A backup copies the rows and locks them FOR UPDATE.
  if (isBackup) return ['SELECT', 'UPDATE'].map((privilege) => ({ kind: 'table', table: main, privilege, by }));
  const dml = /^(DELETE|UPDATE|INSERT)\b/i.exec(sql)?.[1]?.toUpperCase();
  if (dml) return (dml === 'INSERT' ? [dml] : [dml, 'SELECT']).map((privilege) => ({ kind: 'table', table: main, privilege, by }));
  const ddl = OWNER_VERBS.exec(sql)?.[0];
  if (!ddl) return [];
  const schema = schemaOf(main);
  return [
    { kind: 'owner', table: main, verb: ddl.replace(/\s+/g, ' ').toUpperCase(), by },
    // CREATE INDEX also needs CREATE on the schema the index goes into, the table's.
    ...(/^CREATE\s+(UNIQUE\s+)?INDEX\b/i.test(sql) && schema ? [{ kind: 'schema' as const, schema, privilege: 'CREATE', by }] : []),
    ...(/\bREFERENCES\b/i.test(sql) ? others.map((table): Need => ({ kind: 'table', table, privilege: 'REFERENCES', by })) : []),
  ];
}

export function privilegeNeeds(catalog: Catalog, selected: FindingPlan[]): Need[] {
  const schemaOf = (table: string) => catalog.tables.find((t) => t.qualified === table)?.schema;
  return [{ kind: 'database', privilege: 'CREATE', by: JOURNAL }, ...selected.flatMap((f) => statements(f.steps).flatMap((s) => stepNeeds(f, s, catalog, schemaOf)))];
}

/** Refuses, naming every missing privilege and its object, before anything changes. */
export async function checkPrivileges(client: pg.Client, catalog: Catalog, selected: FindingPlan[]): Promise<void> {
  const { rows: who } = await client.query(
    `SELECT current_user AS role, current_database() AS db, current_setting('transaction_read_only') = 'on' AS read_only,
            pg_is_in_recovery() AS standby, to_regnamespace('pgmend') IS NOT NULL AS journal_schema`,
  );
  const { role, db, read_only: readOnly, standby, journal_schema: journalSchema } = who[0];
  if (readOnly) {
    throw new Refusal(
      `database ${db} is read-only for this session (${standby ? 'a standby in recovery' : 'transaction_read_only is on: default_transaction_read_only is set'})`,
      `nothing was changed; ${standby ? 'apply on the primary' : 'apply where default_transaction_read_only is off (ALTER ROLE/DATABASE … SET default_transaction_read_only = off)'}`,
    );
  }
  const needs = privilegeNeeds(catalog, selected);
  if (journalSchema) needs.push({ kind: 'schema', schema: 'pgmend', privilege: 'USAGE', by: JOURNAL }, { kind: 'schema', schema: 'pgmend', privilege: 'CREATE', by: JOURNAL });

  // What is missing → who needs it; insertion order is the order of the message.
  const missing = new Map<string, Set<string>>();
  const miss = (what: string, by: string) => missing.set(what, (missing.get(what) ?? new Set()).add(by));

  const oidOf = new Map(catalog.tables.map((t) => [t.qualified, t.oid]));
  // Tables a step creates are not in the catalog yet: nothing to check.
  const onTables = needs.filter((n): n is Extract<Need, { table: string }> => 'table' in n && oidOf.has(n.table));
  if (onTables.length) {
    const { rows } = await client.query(
      `SELECT n.i, pg_get_userbyid(c.relowner) AS owner,
              CASE WHEN n.priv = 'OWNER' THEN pg_has_role(current_user, c.relowner, 'USAGE') ELSE has_table_privilege(c.oid, n.priv) END AS ok
       FROM unnest($1::oid[], $2::text[]) WITH ORDINALITY AS n(oid, priv, i) JOIN pg_class c ON c.oid = n.oid ORDER BY n.i`,
      [onTables.map((n) => oidOf.get(n.table)), onTables.map((n) => (n.kind === 'owner' ? 'OWNER' : n.privilege))],
    );
    const failed = rows.filter((r) => !r.ok).map((r) => ({ n: onTables[Number(r.i) - 1]!, owner: String(r.owner) }));
    // Ownership first: it is the one a GRANT of table privileges does not give.
    for (const { n, owner } of failed) if (n.kind === 'owner') miss(`ownership of ${n.table} (owner "${owner}", for ${n.verb})`, n.by);
    for (const { n } of failed) if (n.kind === 'table') miss(`${n.privilege} on ${n.table}`, n.by);
  }
  for (const n of needs) {
    if (n.kind !== 'schema' || (n.schema === 'pgmend' && !journalSchema)) continue; // a schema pgmend creates is its own
    const { rows } = await client.query(`SELECT s AS schema, CASE WHEN to_regnamespace(quote_ident(s)) IS NULL THEN true ELSE has_schema_privilege(s, $2) END AS ok FROM coalesce(nullif($1, ''), current_schema()) AS s`, [n.schema, n.privilege]);
    if (rows[0] && !rows[0].ok) miss(`${n.privilege} on schema ${rows[0].schema}`, n.by);
  }
  if (journalSchema && !missing.has('USAGE on schema pgmend')) {
    const { rows } = await client.query(
      `SELECT t AS name, 'SELECT, INSERT, UPDATE' AS priv FROM unnest(ARRAY['pgmend.runs', 'pgmend.steps', 'pgmend.findings', 'pgmend.backups']) AS t
       WHERE to_regclass(t) IS NOT NULL AND NOT has_table_privilege(t, 'SELECT, INSERT, UPDATE')
       UNION ALL SELECT 'pgmend.runs_id_seq', 'USAGE' WHERE to_regclass('pgmend.runs_id_seq') IS NOT NULL AND NOT has_sequence_privilege('pgmend.runs_id_seq', 'USAGE')`,
    );
    for (const r of rows) miss(`${r.priv} on ${r.name}`, JOURNAL);
  }
  const { rows: dbRows } = await client.query(`SELECT has_database_privilege(current_database(), 'CREATE') AS ok`);
  if (!dbRows[0].ok) for (const n of needs) if (n.kind === 'database') miss(`CREATE on database ${db}`, n.by);
  if (missing.size === 0) return;

  const items = [...missing].map(([what, by]) => `${what}: ${[...by].join(', ')}`);
  const shown = items.length > 10 ? [...items.slice(0, 10), `+${items.length - 10} more`] : items;
  const owners = [...new Set([...missing.keys()].map((k) => /owner "([^"]+)"/.exec(k)?.[1]).filter((o): o is string => Boolean(o)))];
  throw new Refusal(
    `role "${role}" lacks privileges this apply needs — ${shown.join('; ')}`,
    `nothing was changed; run apply as ${owners.length ? `the tables' owner (${owners.map((o) => `"${o}"`).join(', ')}) or a member of that role` : 'a role that has them'}, or GRANT what is listed`,
  );
}
