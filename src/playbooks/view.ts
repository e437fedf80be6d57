import type { Catalog, Table } from '../db/catalog.js';
import { resolveColumn, resolveTable } from '../db/resolve.js';
import { findTable } from '../db/catalog.js';
import { statementLocks } from './statement-locks.js';
import { restorableDefinition } from '../db/qualified-definition.js';
import { quoteIdent, quoteLiteral, quoteQualified } from '../db/quote.js';
import type { Finding, Resolution } from '../findings/model.js';
import { LOCK_MODES, type Playbook } from './model.js';
import { parseExpression, parseStatements, SqlInputError } from './expression.js';
import { renderTemplate } from './render.js';
import { PARAM_FIELDS, type Fields, type ParamFields, type REFERENCES_FIELDS, type ON_DELETE_FIELDS, type TARGET_FIELDS, type ENGINE_FIELDS } from './view-fields.js';
import { UsageError } from '../util/errors.js';
import { rowOrder } from '../db/row-order.js';

/**
 * The view a playbook's templates render against. Built from a finding's params and the catalog:
 * each param becomes safe SQL fragments by its type (quoted identifiers, quoted literals, parsed
 * expressions), plus catalog facts templates need (existing FKs to replace, NOT NULL columns).
 * Which keys each param type gives is typed once in view-fields.ts; templates are checked against
 * it when playbooks load. Invalid params (unknown table or column, an expression that is not one
 * expression) throw a UsageError naming the param.
 */
export interface View {
  /** The keys of view-fields.ts, by param name (checked at load, so looked up by name here). */
  [key: string]: unknown;
  /** Per table-like param: the tables it names (qualified, unquoted), for step lock declarations. */
  tableNames: Record<string, string[]>;
  /** The target table (checks, resolutions). */
  target: Table;
  /** The target as SQL names it (quoted, qualified), whatever its param is called; '' when it has none. */
  targetSql: string;
}

const LIT = (s: string) => quoteLiteral(s);
const slug = (parts: string[]) => parts.join('_').toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').replace(/_+/g, '_');
/** A name for a new object: at most 63 bytes, as PostgreSQL would truncate it anyway. */
const objectName = (s: string) => Buffer.from(s, 'utf8').subarray(0, 63).toString('utf8').replace(/\uFFFD$/, '');

/** `param` is under `params.` unless it names another field of the finding (`resolution.orderBy`). */
function fail(finding: Finding, param: string, message: string, hint?: string): never {
  const path = param.startsWith('resolution.') ? param : `params.${param}`;
  throw new UsageError(`${finding.id}.${path}: ${message}`, hint);
}

function wrap<T>(finding: Finding, param: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof UsageError) fail(finding, param, e.message, e.hint);
    if (e instanceof SqlInputError) fail(finding, param, e.message);
    throw e;
  }
}

const ON_DELETE: Record<string, { sql: string; code: string }> = {
  cascade: { sql: 'CASCADE', code: 'c' },
  'set-null': { sql: 'SET NULL', code: 'n' },
  'set-default': { sql: 'SET DEFAULT', code: 'd' },
  restrict: { sql: 'RESTRICT', code: 'r' },
  'no-action': { sql: 'NO ACTION', code: 'a' },
};

export interface ViewOptions {
  resolution?: Resolution | undefined;
  /** Bound for sample queries that limit by group. */
  sampleSize?: number;
}

export function buildView(catalog: Catalog, playbook: Playbook, finding: Finding, opts: ViewOptions = {}): View {
  const params = finding.params;
  const view: Record<string, unknown> = { tableNames: {} };
  const tableNames = view.tableNames as Record<string, string[]>;
  const tables = new Map<string, Table>();
  /** A param's keys, typed by its type's fields (view-fields.ts, which load.ts checks templates against). */
  const put = <T extends keyof typeof PARAM_FIELDS>(name: string, _type: T, fields: ParamFields<T>) => {
    for (const [suffix, value] of Object.entries(fields)) view[name + suffix] = value;
  };

  // Tables first: columns, keys and expressions are resolved against them.
  for (const [name, spec] of Object.entries(playbook.params)) {
    const value = params[name];
    if (value === undefined) continue;
    if (spec.type === 'table') {
      const t = wrap(finding, name, () => resolveTable(catalog, value as string));
      tables.set(name, t);
      put(name, 'table', {
        '': quoteQualified(t.schema, t.name),
        Name: t.name,
        Literal: LIT(quoteQualified(t.schema, t.name)),
        Text: t.qualified.replaceAll("'", "''").replaceAll('%', '%%'),
      });
      tableNames[name] = [t.qualified];
    }
    if (spec.type === 'tables') {
      const ts = (value as string[]).map((v, i) => wrap(finding, `${name}[${i}]`, () => resolveTable(catalog, v)));
      put(name, 'tables', { '': ts.map((t) => quoteQualified(t.schema, t.name)).join(', ') });
      tableNames[name] = ts.map((t) => t.qualified);
    }
  }
  const target = tables.get(playbook.target);
  if (!target && playbook.params[playbook.target]) fail(finding, playbook.target, 'is required');
  const tableOf = (of: string | undefined): Table | undefined => tables.get(of ?? 'table') ?? target;

  for (const [name, spec] of Object.entries(playbook.params)) {
    const value = params[name];
    if (value === undefined) {
      view[name] = spec.type === 'columns' || spec.type === 'keys' ? '' : false;
      continue;
    }
    const table = tableOf(spec.of);
    const tq = table ? quoteQualified(table.schema, table.name) : '';
    switch (spec.type) {
      case 'table':
      case 'tables':
        break;
      case 'column': {
        const c = wrap(finding, name, () => resolveColumn(catalog, table!, value as string));
        put(name, 'column', {
          '': quoteIdent(c.name),
          Literal: LIT(c.name),
          Slug: slug([c.name]),
          Text: c.name.replaceAll("'", "''").replaceAll('%', '%%'),
          NotNull: c.notNull,
        });
        break;
      }
      case 'columns': {
        const cols = (value as string[]).map((v, i) => wrap(finding, `${name}[${i}]`, () => resolveColumn(catalog, table!, v)));
        const notNull = cols.filter((c) => c.notNull);
        put(name, 'columns', {
          '': cols.map((c) => quoteIdent(c.name)).join(', '),
          Slug: slug(cols.map((c) => c.name)),
          NotNull: cols.map((c) => `${tq}.${quoteIdent(c.name)} IS NOT NULL`).join(' AND '),
          DropNotNull: notNull.map((c) => `ALTER COLUMN ${quoteIdent(c.name)} DROP NOT NULL`).join(', '),
          SetNotNull: notNull.map((c) => `ALTER COLUMN ${quoteIdent(c.name)} SET NOT NULL`).join(', '),
          List: cols.map((c) => ({ column: quoteIdent(c.name), type: c.type })),
        });
        break;
      }
      case 'keys': {
        // A key is a column name when it names one, else an expression such as lower(name).
        const keys = (value as string[]).map((k, i) =>
          wrap(finding, `${name}[${i}]`, () => {
            const col = table!.columns.find((c) => c.name === k.trim() || c.name === k.trim().replace(/^"(.*)"$/s, '$1'));
            if (col) return { sql: quoteIdent(col.name), plain: col.name, slug: col.name };
            const e = parseExpression(k, { what: 'key expression', tableName: table!.name });
            for (const c of e.columns) resolveColumn(catalog, table!, c);
            return { sql: e.sql, plain: undefined, slug: e.columns.join('_') || 'expr' };
          }),
        );
        put(name, 'keys', {
          '': keys.map((k) => k.sql).join(', '),
          Slug: slug(keys.map((k) => k.slug)),
          NotNull: keys.map((k) => `${k.sql} IS NOT NULL`).join(' AND '),
          // Only plain columns can be set to NULL by a set-null resolution.
          Plain: keys.every((k) => k.plain) ? keys.map((k) => k.sql).join(', ') : '',
        });
        break;
      }
      case 'expression':
      case 'predicate': {
        const e = wrap(finding, name, () => {
          const parsed = parseExpression(value as string, { what: spec.type === 'predicate' ? 'WHERE predicate' : 'expression', subqueries: spec.subqueries ?? false, tableName: table?.name ?? '' });
          // Unqualified column names must exist on the table (subqueries may name their own columns).
          if (!spec.subqueries && table) for (const c of parsed.columns) resolveColumn(catalog, table, c);
          return parsed;
        });
        put(name, spec.type, {
          '': e.sql,
          Columns: table ? e.columns.filter((c) => table.columns.some((tc) => tc.name === c)).map((c) => quoteIdent(c)).join(', ') : '',
        });
        break;
      }
      case 'name':
        put(name, 'name', nameFields(value as string, target));
        break;
      case 'enum': {
        const v = value as string;
        put(name, 'enum', { '': v, Is: { [v]: true } });
        if (name === 'onDelete') {
          const onDelete: Fields<typeof ON_DELETE_FIELDS> = { onDeleteSql: ON_DELETE[v]!.sql, onDeleteCode: LIT(ON_DELETE[v]!.code) };
          Object.assign(view, onDelete);
        }
        break;
      }
      case 'values': {
        const vals = value as (string | number | boolean)[];
        put(name, 'values', { '': wrap(finding, name, () => vals.map((v) => quoteLiteral(v)).join(', ')) });
        break;
      }
      case 'transitions': {
        const map = value as Record<string, string[]>;
        const states = [...new Set([...Object.keys(map), ...Object.values(map).flat()])];
        put(name, 'transitions', {
          Json: wrap(finding, name, () => LIT(JSON.stringify(map))),
          States: wrap(finding, name, () => states.map((s) => LIT(s)).join(', ')),
        });
        break;
      }
      case 'references': {
        const ref = value as { table: string; columns: string[] };
        const rt = wrap(finding, `${name}.table`, () => resolveTable(catalog, ref.table));
        const rcols = ref.columns.map((c, i) => wrap(finding, `${name}.columns[${i}]`, () => resolveColumn(catalog, rt, c)));
        const local = params[spec.of ?? 'columns'] as string[] | undefined;
        if (!local || local.length !== rcols.length) {
          fail(finding, `${name}.columns`, `expected ${local?.length ?? 0} column(s) to match ${spec.of ?? 'columns'}, got ${rcols.length}`);
        }
        const localCols = local.map((c) => resolveColumn(catalog, table!, c));
        localCols.forEach((lc, i) => {
          const rc = rcols[i]!;
          if (baseType(lc.type) !== baseType(rc.type)) {
            fail(finding, `${name}.columns[${i}]`, `type mismatch: ${table!.qualified}.${lc.name} is ${lc.type} but ${rt.qualified}.${rc.name} is ${rc.type}`, 'a foreign key needs columns of compatible types');
          }
        });
        put(name, 'references', {
          '': quoteQualified(rt.schema, rt.name),
          Literal: LIT(quoteQualified(rt.schema, rt.name)),
          Columns: rcols.map((c) => quoteIdent(c.name)).join(', '),
          Match: rcols.map((rc, i) => `pgmend_parent.${quoteIdent(rc.name)} = ${tq}.${quoteIdent(localCols[i]!.name)}`).join(' AND '),
        });
        tableNames[name] = [rt.qualified];
        // The FKs on exactly these columns today: the fix replaces them, rollback restores them.
        const wanted = localCols.map((c) => c.name).join(',');
        const existing = catalog.constraints.filter((c) => c.type === 'f' && c.tableOid === table!.oid && c.columns.join(',') === wanted);
        // Only the ON DELETE rule changes: keep the ON UPDATE rule and deferrability it had.
        const kept = existing[0];
        const onUpdate = kept?.foreignKey?.onUpdate ?? 'no-action';
        const refs: Fields<typeof REFERENCES_FIELDS> = {
          // Restored by rollback: its parent schema-qualified, so any search_path re-creates the same FK.
          existingFks: existing.map((c) => ({ name: quoteIdent(c.name), definition: restorableDefinition(c) })),
          // Replacing one FK keeps its name: code and monitoring that know it by name keep working.
          replacedName: existing.length === 1 ? existing[0]!.name : '',
          keptClauses:
            (onUpdate !== 'no-action' ? ` ON UPDATE ${ON_DELETE[onUpdate]!.sql}` : '') +
            (kept?.deferrable ? ` DEFERRABLE INITIALLY ${kept.deferred ? 'DEFERRED' : 'IMMEDIATE'}` : ''),
        };
        Object.assign(view, refs);
        break;
      }
      case 'sql': {
        const stmts = wrap(finding, name, () => parseStatements(value as string, name));
        // Each statement's own locks (step items); the finding's `tables:` param adds its tables at the statement's strongest lock.
        const given = params.tables ? (params.tables as string[]).flatMap((t) => findTable(catalog, t)?.qualified ?? []) : [];
        const statements = stmts.map((statement) => {
          const info = statementLocks(statement, catalog);
          const locks = { ...info.locks };
          const mode = info.opaque && Object.keys(info.locks).length === 0 ? 'ACCESS EXCLUSIVE' : info.lock;
          for (const t of given) locks[t] = locks[t] && LOCK_MODES.indexOf(locks[t]) > LOCK_MODES.indexOf(mode) ? locks[t] : mode;
          // `step` is not a template key: render.ts reads it for the step this statement becomes.
          return { statement, step: { lock: info.lock, locks, transactional: info.transactional } };
        });
        put(name, 'sql', { '': stmts.map((s) => s + ';').join('\n'), Statements: statements });
        break;
      }
    }
  }

  // Defaults for optional names, rendered from the other params' raw names.
  for (const [name, spec] of Object.entries(playbook.params)) {
    if (spec.type !== 'name' || params[name] !== undefined) continue;
    if (!spec.default) continue;
    put(name, 'name', nameFields(objectName(renderTemplate(spec.default, view)), target));
  }

  if (target) {
    const tq = quoteQualified(target.schema, target.name);
    const pk = rowOrder(target, tq);
    const order: Fields<typeof TARGET_FIELDS> = {
      pkOrder: pk.join(', '),
      pkBare: target.primaryKey.map((c) => `, ${quoteIdent(c)}`).join(''),
      keepOrder: keepOrder(catalog, finding, target, pk, opts.resolution),
    };
    Object.assign(view, order);
  }
  const engine: Fields<typeof ENGINE_FIELDS> = { sampleSize: String(Math.max(0, Math.floor(opts.sampleSize ?? 5))) };
  Object.assign(view, engine);
  view.target = target;
  view.targetSql = target ? quoteQualified(target.schema, target.name) : '';
  return view as View;
}

function nameFields(raw: string, target: Table | undefined): ParamFields<'name'> {
  return { '': quoteIdent(raw), Literal: LIT(raw), Qualified: target ? quoteQualified(target.schema, raw) : quoteIdent(raw) };
}

/**
 * Types a foreign key may join: PostgreSQL accepts any pair with a cross-type equality operator,
 * e.g. smallint → integer, bigint → integer, varchar → text.
 */
const TYPE_FAMILY: Record<string, string> = {
  smallint: 'integer',
  integer: 'integer',
  bigint: 'integer',
  'character varying': 'text',
  varchar: 'text',
  character: 'text',
  text: 'text',
};

function baseType(t: string): string {
  const base = t.replace(/\(.*\)$/, '');
  return TYPE_FAMILY[base] ?? base;
}

/** ORDER BY of a duplicate group: the first row survives (oldest = ascending). */
function keepOrder(catalog: Catalog, finding: Finding, target: Table, pk: string[], resolution?: Resolution): string {
  const dir = resolution?.keep === 'newest' ? 'DESC' : 'ASC';
  const tq = quoteQualified(target.schema, target.name);
  const by = resolution?.orderBy
    ? [`${tq}.${quoteIdent(wrap(finding, 'resolution.orderBy', () => resolveColumn(catalog, target, resolution.orderBy!)).name)} ${dir} NULLS LAST`]
    : [];
  return [...by, ...pk.map((p) => `${p} ${dir}`)].join(', ');
}
