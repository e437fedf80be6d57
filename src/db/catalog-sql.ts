/**
 * The catalog in ONE statement: each object kind is a json_agg sub-select over the same set of user
 * tables, so the round-trip count does not grow with the schema and every part is read from one
 * snapshot. Only catalog columns present in both PostgreSQL 15 and 18 are used; NOT NULL rows of
 * pg_constraint (contype 'n', 18+) are left out so both versions describe a table the same way.
 */

// oids are cast to int8: json renders oid as a string, int8 as a number (oids fit in a double).

/** Schemas pgmend never touches: the system's, other sessions' temp schemas and its own `pgmend`. */
const userSchema = (nsp: string) => `(${nsp} NOT IN ('pg_catalog', 'information_schema', 'pgmend')
    AND ${nsp} NOT LIKE 'pg\\_toast%' AND ${nsp} NOT LIKE 'pg\\_temp\\_%')`;

/**
 * PostgreSQL deparses a table's expressions (defaults, index and constraint definitions, trigger
 * WHEN clauses, partition bounds) only after opening the table. `$1` lists tables another session
 * holds ACCESS EXCLUSIVE: their names, columns and keys are read, what needs the table opened is
 * left out (see db/catalog-around-locks.ts).
 */
const readable = (relid: string) => `NOT ${relid} = ANY ($1::oid[])`;

/** Attribute names for an array of attnums of `rel`, in array order (0 = expression → null). */
const attnames = (attnums: string, rel: string, where = 'true') => `(SELECT coalesce(json_agg(a.attname ORDER BY k.ord), '[]')
      FROM unnest(${attnums}) WITH ORDINALITY AS k(attnum, ord)
      LEFT JOIN pg_attribute a ON a.attrelid = ${rel} AND a.attnum = k.attnum AND k.attnum <> 0
      WHERE ${where})`;

const TABLES = `SELECT coalesce(json_agg(json_build_object(
    'oid', r.oid::int8,
    'schema', r.nspname,
    'name', r.relname,
    'kind', r.relkind,
    'parentOid', par.inhparent::int8,
    'partitionBound', CASE WHEN r.relispartition AND ${readable('r.oid')} THEN pg_get_expr(r.relpartbound, r.oid) END,
    'partitionKey', CASE WHEN r.relkind = 'p' AND ${readable('r.oid')} THEN pg_get_partkeydef(r.oid) END,
    'reltuples', r.reltuples,
    'columns', (SELECT coalesce(json_agg(json_build_object(
        'name', a.attname,
        'attnum', a.attnum,
        'type', format_type(a.atttypid, a.atttypmod),
        'collation', CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END,
        'notNull', a.attnotnull,
        'notNullValidated', NOT EXISTS (SELECT 1 FROM pg_constraint nn
            WHERE nn.conrelid = a.attrelid AND nn.contype = 'n' AND NOT nn.convalidated AND nn.conkey[1] = a.attnum),
        'expression', CASE WHEN ${readable('d.adrelid')} THEN pg_get_expr(d.adbin, d.adrelid) END,
        'identity', a.attidentity,
        'generated', a.attgenerated
      ) ORDER BY a.attnum), '[]')
      FROM pg_attribute a
      JOIN pg_type t ON t.oid = a.atttypid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped),
    'primaryKey', (SELECT ${attnames('pk.indkey::int2[]', 'pk.indrelid')}
      FROM pg_index pk WHERE pk.indrelid = r.oid AND pk.indisprimary)
  ) ORDER BY r.nspname, r.relname), '[]')
  FROM rel r
  LEFT JOIN pg_inherits par ON r.relispartition AND par.inhrelid = r.oid`;

const CONSTRAINTS = `SELECT coalesce(json_agg(json_build_object(
    'oid', co.oid::int8,
    'name', co.conname,
    'tableOid', co.conrelid::int8,
    'type', co.contype,
    'definition', CASE WHEN ${readable('co.conrelid')} THEN pg_get_constraintdef(co.oid) ELSE '' END,
    'validated', co.convalidated,
    'deferrable', co.condeferrable,
    'deferred', co.condeferred,
    'inherited', co.conparentid <> 0 OR NOT co.conislocal,
    'columns', ${attnames('co.conkey', 'co.conrelid')},
    'refSchema', rn.nspname,
    'refName', rc.relname,
    'refOid', rc.oid::int8,
    'refColumns', CASE WHEN co.contype = 'f' THEN ${attnames('co.confkey', 'co.confrelid')} END,
    'onDelete', co.confdeltype,
    'onUpdate', co.confupdtype,
    'indexOid', nullif(co.conindid, 0)::int8
  ) ORDER BY co.conrelid, co.conname, co.oid), '[]')
  FROM pg_constraint co
  JOIN rel r ON r.oid = co.conrelid
  LEFT JOIN pg_class rc ON co.contype = 'f' AND rc.oid = co.confrelid
  LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
  WHERE co.contype IN ('p', 'u', 'f', 'c', 'x')`;

const INDEXES = `SELECT coalesce(json_agg(json_build_object(
    'oid', i.indexrelid::int8,
    'name', ic.relname,
    'schema', n.nspname,
    'tableOid', i.indrelid::int8,
    'unique', i.indisunique,
    'primary', i.indisprimary,
    'valid', i.indisvalid,
    'ready', i.indisready,
    'method', am.amname,
    'definition', pg_get_indexdef(i.indexrelid),
    'columns', ${attnames('i.indkey::int2[]', 'i.indrelid', 'k.ord <= i.indnkeyatts')},
    'include', ${attnames('i.indkey::int2[]', 'i.indrelid', 'k.ord > i.indnkeyatts')},
    'predicate', pg_get_expr(i.indpred, i.indrelid),
    'constraint', (SELECT co.conname FROM pg_constraint co
      WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x') LIMIT 1)
  ) ORDER BY i.indrelid, ic.relname), '[]')
  FROM pg_index i
  JOIN rel r ON r.oid = i.indrelid
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = ic.relnamespace
  JOIN pg_am am ON am.oid = ic.relam
  WHERE ${readable('i.indrelid')}`;

const TRIGGERS = `SELECT coalesce(json_agg(json_build_object(
    'oid', tg.oid::int8,
    'name', tg.tgname,
    'tableOid', tg.tgrelid::int8,
    'firing', tg.tgenabled,
    'definition', pg_get_triggerdef(tg.oid),
    'functionOid', tg.tgfoid::int8,
    'functionSchema', fn.nspname,
    'functionName', p.proname,
    'inherited', tg.tgparentid <> 0
  ) ORDER BY tg.tgrelid, tg.tgname), '[]')
  FROM pg_trigger tg
  JOIN rel r ON r.oid = tg.tgrelid
  JOIN pg_proc p ON p.oid = tg.tgfoid
  JOIN pg_namespace fn ON fn.oid = p.pronamespace
  WHERE NOT tg.tgisinternal AND ${readable('tg.tgrelid')}`;

// Extension members are left out: they are the extension's, not the schema's. Full definitions are
// read only for trigger functions (the DDL diff shows them); the rest are hashed, and read lazily.
const FUNCTIONS = `SELECT coalesce(json_agg(json_build_object(
    'oid', p.oid::int8,
    'schema', n.nspname,
    'name', p.proname,
    'identityArgs', pg_get_function_identity_arguments(p.oid),
    'kind', p.prokind,
    'language', l.lanname,
    'hash', md5(CASE WHEN p.prokind = 'a'
      THEN (SELECT ag::text FROM pg_aggregate ag WHERE ag.aggfnoid = p.oid)
      ELSE pg_get_functiondef(p.oid) END),
    'definition', CASE WHEN p.prokind <> 'a' AND EXISTS (SELECT 1 FROM pg_trigger tg JOIN rel r ON r.oid = tg.tgrelid
        WHERE tg.tgfoid = p.oid AND NOT tg.tgisinternal)
      THEN pg_get_functiondef(p.oid) END
  ) ORDER BY n.nspname, p.proname, p.oid), '[]')
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang
  WHERE ${userSchema('n.nspname')}
    AND NOT EXISTS (SELECT 1 FROM pg_depend dep
      WHERE dep.classid = 'pg_proc'::regclass AND dep.objid = p.oid AND dep.deptype = 'e')`;

/** A scoped read's functions: the trigger functions of its tables, the only ones its DDL shows. */
const SCOPED_FUNCTIONS = `${FUNCTIONS}
    AND EXISTS (SELECT 1 FROM pg_trigger tg JOIN rel r ON r.oid = tg.tgrelid WHERE tg.tgfoid = p.oid AND NOT tg.tgisinternal)`;

/** Views and materialized views with the relations their rules read: locks on a view reach those. */
const VIEWS = `SELECT coalesce(json_agg(json_build_object(
      'oid', c.oid::int8, 'schema', n.nspname, 'name', c.relname, 'kind', c.relkind,
      'reads', (SELECT coalesce(json_agg(DISTINCT d.refobjid::int8), '[]')
        FROM pg_rewrite rw
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
          AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> c.oid AND d.deptype = 'n'
        WHERE rw.ev_class = c.oid)
  ) ORDER BY n.nspname, c.relname), '[]')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('v', 'm') AND ${userSchema('n.nspname')}`;

const REL_COLUMNS = `SELECT c.oid, n.nspname, c.relname, c.relkind, c.relispartition, c.relpartbound, c.reltuples
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND ${userSchema('n.nspname')}`;

const catalogSql = (rel: string, functions: string, views: string) => `WITH ${rel}
SELECT
  current_setting('server_version') AS server_version,
  current_setting('server_version_num')::int AS server_version_num,
  to_json(current_schemas(false)) AS search_path,
  (SELECT coalesce(json_agg(nspname ORDER BY nspname), '[]') FROM pg_namespace WHERE ${userSchema('nspname')}) AS schemas,
  (${TABLES}) AS tables,
  (${CONSTRAINTS}) AS constraints,
  (${INDEXES}) AS indexes,
  (${TRIGGERS}) AS triggers,
  (${functions}) AS functions,
  (${views}) AS views`;

export const CATALOG_SQL = catalogSql(`rel AS (\n  ${REL_COLUMNS}\n)`, FUNCTIONS, VIEWS);

/**
 * The same statement and columns for a few tables, by name: what a schema diff of them needs. `$2`
 * lists labels (`schema.name`, exact), `$3` names folded to lower case (ASCII, as `COLLATE "C"`
 * folds them): every table a name could resolve to (db/catalog.ts findTable), also one created
 * since the last read. A partition's parent joins (its ATTACH line names it); functions are the
 * tables' trigger functions; views are not read.
 */
export const SCOPED_CATALOG_SQL = catalogSql(
  `named AS (
  SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND ${userSchema('n.nspname')}
    AND (n.nspname || '.' || c.relname = ANY ($2::text[]) OR lower(c.relname COLLATE "C") = ANY ($3::text[]))
), rel AS (
  ${REL_COLUMNS}
    AND (c.oid IN (SELECT oid FROM named) OR c.oid IN (SELECT i.inhparent FROM pg_inherits i WHERE i.inhrelid IN (SELECT oid FROM named)))
)`,
  SCOPED_FUNCTIONS,
  `${VIEWS} AND false`,
);

export const FUNCTION_DEF_SQL = `SELECT CASE WHEN prokind = 'a' THEN NULL ELSE pg_get_functiondef(oid) END AS def FROM pg_proc WHERE oid = $1`;
