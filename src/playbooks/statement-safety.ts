import { parseSync } from 'pgsql-parser';
import { walk } from './expression.js';
import { quoteIdent } from '../db/quote.js';

/**
 * What a dry run may execute of a `sql` finding, read from each statement's parse tree.
 *
 * A rehearsal runs the statements in a transaction it rolls back, so only statements whose every
 * effect PostgreSQL rolls back may run there. Three verdicts:
 *  - `rehearse`: DDL on tables, indexes, constraints, triggers, sql/plpgsql functions, views, policies, types;
 *    DML; queries — and nothing in their trees (CTEs, subqueries, any expression) that acts
 *    outside the transaction.
 *  - `outside`: something acts outside the transaction (a program, a server file, another session,
 *    a setting, a sequence, an advisory lock, a notification, another server…): never rehearsed.
 *  - `opaque`: code whose effects cannot be read from the text — a DO block, a procedure call,
 *    a function, trigger or rule the finding defines and then a statement that can run it, or
 *    a call to an existing volatile user function: rehearsed only where PostgreSQL itself refuses
 *    to reach outside (a sandbox role), or once a reviewer approved the finding.
 */

export type SqlVerdict = { kind: 'rehearse' } | { kind: 'outside'; reason: string } | { kind: 'opaque'; reason: string };

/** What the catalog says about a function name a statement calls, or a view it reads (engine/checks/function-facts.ts). */
export type FunctionFact = 'harmless' | 'outside' | 'user-volatile';
export interface CatalogFacts {
  fn(name: string): FunctionFact | undefined;
  /** A view that runs volatile functions (transitively): the worst of them, and their names. */
  view(name: string): { fact: FunctionFact; calls: string[] } | undefined;
}
const NO_FACTS: CatalogFacts = { fn: () => undefined, view: () => undefined };

/** Statement kinds whose effects a ROLLBACK undoes, and that a dry run may run. */
const REHEARSABLE = new Set([
  'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'SelectStmt', 'CreateTableAsStmt', 'TruncateStmt',
  'CreateStmt', 'AlterTableStmt', 'IndexStmt', 'DropStmt', 'RenameStmt', 'CommentStmt', 'LockStmt',
  'CreateTrigStmt', 'CreateFunctionStmt', 'AlterFunctionStmt', 'CreatePolicyStmt', 'AlterPolicyStmt', 'ViewStmt',
  'CreateEnumStmt', 'AlterEnumStmt', 'CompositeTypeStmt', 'CreateDomainStmt', 'AlterDomainStmt', 'CreateSchemaStmt',
  'AlterObjectSchemaStmt', 'AlterOwnerStmt', 'GrantStmt', 'RefreshMatViewStmt', 'CreateStatsStmt', 'RuleStmt',
  'ExplainStmt', 'DoStmt', 'CallStmt', 'VariableSetStmt', 'CreateSeqStmt',
]);

/** Languages whose CREATE FUNCTION only parses the body: a C library is loaded, an untrusted language compiles (Perl BEGIN blocks run). */
const PARSED_ONLY_LANGUAGES = new Set(['sql', 'plpgsql']);

/** Settings that change how the rehearsal itself runs (its timeouts, its role, how names resolve in pgmend's own queries). */
const REHEARSAL_SETTINGS = new Set([
  'role', 'session_authorization', 'search_path', 'statement_timeout', 'lock_timeout', 'transaction_timeout',
  'idle_in_transaction_session_timeout', 'transaction_read_only', 'default_transaction_read_only',
]);

/** Statement kinds that act outside the transaction (or cannot run in one), and why. */
const OUTSIDE_STATEMENTS: Record<string, string> = {
  VacuumStmt: 'VACUUM/ANALYZE cannot be rolled back (VACUUM cannot run in a transaction at all)',
  CheckPointStmt: 'CHECKPOINT acts on the whole server',
  CreatedbStmt: 'CREATE DATABASE cannot run in a transaction',
  DropdbStmt: 'DROP DATABASE cannot run in a transaction',
  ListenStmt: 'LISTEN subscribes the session to notifications',
  UnlistenStmt: 'UNLISTEN changes the session\'s subscriptions',
  NotifyStmt: 'NOTIFY sends a notification to other sessions',
  AlterSystemStmt: 'ALTER SYSTEM writes the server\'s configuration file',
  LoadStmt: 'LOAD loads a shared library into the server',
  AlterSeqStmt: 'ALTER SEQUENCE changes a sequence',
  DiscardStmt: 'DISCARD resets session state',
  PrepareStmt: 'PREPARE creates a session-level prepared statement',
  ExecuteStmt: 'EXECUTE runs a session-level prepared statement',
  DeallocateStmt: 'DEALLOCATE drops a session-level prepared statement',
  CreateSubscriptionStmt: 'CREATE SUBSCRIPTION connects to another server',
  AlterSubscriptionStmt: 'ALTER SUBSCRIPTION connects to another server',
  CreateForeignServerStmt: 'a foreign server reaches another server',
  CreateUserMappingStmt: 'a user mapping reaches another server',
  CreateForeignTableStmt: 'a foreign table reaches another server',
  ImportForeignSchemaStmt: 'IMPORT FOREIGN SCHEMA connects to another server',
  CreateTableSpaceStmt: 'CREATE TABLESPACE creates a server directory',
  DropTableSpaceStmt: 'DROP TABLESPACE removes a server directory',
  ClusterStmt: 'CLUSTER rewrites the table (not a repair a dry run runs)',
  ReindexStmt: 'REINDEX (not a repair a dry run runs)',
  CreateEventTrigStmt: 'an event trigger fires on other DDL',
  CreateRoleStmt: 'roles are server-wide',
  AlterRoleStmt: 'roles are server-wide',
  AlterRoleSetStmt: 'ALTER ROLE … SET changes settings of later sessions',
  AlterDatabaseSetStmt: 'ALTER DATABASE … SET changes settings of later sessions',
  DropRoleStmt: 'roles are server-wide',
  CreateExtensionStmt: 'CREATE EXTENSION runs an extension\'s install script',
};

/** Built-in functions whose effects lie outside the transaction, by name (and name prefix), and why. */
const OUTSIDE_FUNCTIONS: [RegExp, string][] = [
  [/^(pg_read_file|pg_read_binary_file|pg_stat_file|pg_ls_\w+|pg_file_\w+|lo_import|lo_export)$/, 'reads or writes files on the database server'],
  [/^(lo_\w+|loread|lowrite)$/, 'works on large objects'],
  [/^(pg_terminate_backend|pg_cancel_backend|pg_signal_backend|pg_reload_conf|pg_rotate_logfile|pg_log_backend_memory_contexts|pg_promote)$/, 'signals the server or other sessions'],
  [/^(nextval|setval)$/, 'changes a sequence (sequence changes are not rolled back)'],
  [/^pg_(try_)?advisory_/, 'takes an advisory lock'],
  [/^pg_notify$/, 'sends a notification to other sessions'],
  [/^dblink/, 'connects to another server'],
  [/^(pg_switch_wal|pg_create_restore_point|pg_create_\w+_replication_slot|pg_drop_replication_slot|pg_copy_\w+_replication_slot|pg_replication_\w+|pg_logical_\w+|pg_wal_replay_\w+|pg_backup_\w+|pg_start_backup|pg_stop_backup|pg_walfile_name\w*)$/, 'acts on WAL or replication'],
  [/^pg_stat_reset/, 'resets server statistics'],
  [/^(setseed)$/, 'changes session state'],
];

export interface StatementParse {
  kind: string;
  stmt: Record<string, unknown>;
}

/** Parses each statement (one per string, as parseStatements split them). */
export function parseEach(statements: string[]): StatementParse[] {
  return statements.map((s) => {
    const stmt = (parseSync(s) as { stmts: { stmt: Record<string, unknown> }[] }).stmts[0]?.stmt ?? {};
    return { kind: Object.keys(stmt)[0] ?? '', stmt };
  });
}

/** Every function name called anywhere in the statements (last name part, lower case as PostgreSQL folds it). */
export function calledFunctions(statements: StatementParse[]): string[] {
  const out = new Set<string>();
  for (const s of statements) {
    walk(s.stmt, (type, node) => {
      if (type === 'FuncCall') out.add(lastName(node.funcname));
    });
  }
  return [...out].filter(Boolean);
}

function lastName(list: unknown): string {
  if (!Array.isArray(list)) return '';
  const last = list.at(-1) as { String?: { sval?: string } } | undefined;
  return last?.String?.sval ?? '';
}

/**
 * Kinds that can run code another statement of the finding defined without naming it: DML fires
 * triggers and rules, queries read views. DDL runs a defined function only by naming it (an index
 * expression, a default, a CHECK, a domain), which the by-name check catches; ALTER TABLE fires no
 * row triggers.
 */
const EXECUTES = new Set([
  'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'SelectStmt', 'CreateTableAsStmt', 'TruncateStmt',
  'CallStmt', 'DoStmt', 'ExplainStmt', 'RefreshMatViewStmt',
]);
/** Kinds that only record an expression for later (a policy, a view, a default): naming a function there does not run it. */
const DEFINITION_ONLY = new Set([
  'CreatePolicyStmt', 'AlterPolicyStmt', 'ViewStmt', 'CreateTrigStmt', 'CreateFunctionStmt', 'AlterFunctionStmt', 'RuleStmt',
  'CommentStmt', 'CreateStmt', 'CreateDomainStmt', 'GrantStmt', 'DropStmt',
]);
/** Kinds that define code later statements can run. */
const DEFINES_CODE = new Set(['CreateFunctionStmt', 'AlterFunctionStmt', 'RuleStmt', 'CreateTrigStmt']);

const ordinal = (i: number) => `statement ${i + 1}`;

/** The verdict for a `sql` finding's statements (its rollback statements included by the caller). */
export function classifyStatements(statements: StatementParse[], facts: CatalogFacts = NO_FACTS): SqlVerdict {
  let opaque: string | undefined;
  const defined = new Set<string>();
  let definedAt: { index: number; what: string } | undefined;
  for (const [i, s] of statements.entries()) {
    const outside = outsideReason(s, facts);
    if (outside) return { kind: 'outside', reason: `${ordinal(i)}: ${outside}` };
    if (!REHEARSABLE.has(s.kind)) return { kind: 'outside', reason: `${ordinal(i)}: ${s.kind.replace(/Stmt$/, '')} is not a statement a dry run executes` };
    if (opaque) continue;
    if (s.kind === 'DoStmt') opaque = `${ordinal(i)} is a DO block`;
    else if (s.kind === 'CallStmt') opaque = `${ordinal(i)} calls procedure ${lastName((s.stmt.CallStmt as { funccall?: { funcname?: unknown } }).funccall?.funcname)}`;
    else if (definedAt && EXECUTES.has(s.kind)) opaque = `${ordinal(definedAt.index)} defines ${definedAt.what} that ${ordinal(i)} can run or fire`;
    else if (!DEFINITION_ONLY.has(s.kind)) {
      for (const name of calledFunctionsOf(s)) {
        if (defined.has(name)) opaque = `${ordinal(i)} calls ${name}(), which the finding defines`;
        else if (facts.fn(name) === 'user-volatile') opaque = `${ordinal(i)} calls ${name}(), a volatile function of the database`;
        if (opaque) break;
      }
      for (const rel of relationsOf(s)) {
        const v = facts.view(rel);
        if (v?.fact === 'user-volatile' && !opaque) opaque = `${ordinal(i)} reads view ${rel}, which calls ${v.calls.map((c) => `${c}()`).join(', ')} (VOLATILE)`;
      }
    }
    if (DEFINES_CODE.has(s.kind)) {
      const what = definedCode(s);
      if (what.name) defined.add(what.name);
      definedAt ??= { index: i, what: what.text };
    }
  }
  return opaque ? { kind: 'opaque', reason: opaque } : { kind: 'rehearse' };
}

/** Relations named anywhere in the statements, as written (`schema.name` or `name`). */
export function namedRelations(statements: StatementParse[]): string[] {
  return [...new Set(statements.flatMap(relationsOf))];
}

function relationsOf(s: StatementParse): string[] {
  // A RangeVar is wrapped ({RangeVar: …}) in lists but bare where a field holds one (`relation`).
  const out = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!v || typeof v !== 'object') return;
    const node = v as Record<string, unknown>;
    if (typeof node.relname === 'string') {
      out.add(node.schemaname ? `${quoteIdent(String(node.schemaname))}.${quoteIdent(node.relname)}` : quoteIdent(node.relname));
    }
    Object.values(node).forEach(visit);
  };
  visit(s.stmt);
  return [...out];
}

function calledFunctionsOf(s: StatementParse): string[] {
  return calledFunctions([s]);
}

function definedCode(s: StatementParse): { name?: string; text: string } {
  const body = s.stmt[s.kind] as Record<string, unknown>;
  switch (s.kind) {
    case 'CreateFunctionStmt': {
      const name = lastName(body.funcname);
      return { name, text: `${body.is_procedure ? 'procedure' : 'function'} ${name}()` };
    }
    case 'AlterFunctionStmt': {
      const name = lastName((body.func as { objname?: unknown } | undefined)?.objname);
      return { name, text: `a change to function ${name}()` };
    }
    case 'CreateTrigStmt':
      return { text: `trigger ${String(body.trigname ?? '')}` };
    case 'RuleStmt':
      return { text: `rule ${String(body.rulename ?? '')}` };
    default:
      return { text: `${String(body.kind ?? 'an object').replace(/^OBJECT_/, '').toLowerCase()} ${lastName(body.defnames)}` };
  }
}

function outsideReason(s: StatementParse, facts: CatalogFacts): string | undefined {
  const fixed = OUTSIDE_STATEMENTS[s.kind];
  if (fixed) return fixed;
  const body = s.stmt[s.kind] as Record<string, unknown>;
  if (s.kind === 'VariableSetStmt' && !body.is_local) return `session-level SET/RESET of ${String(body.name ?? 'a setting')} outlives the transaction`;
  if (s.kind === 'VariableSetStmt' && REHEARSAL_SETTINGS.has(String(body.name ?? '').toLowerCase())) return `SET LOCAL ${String(body.name)} changes how the rehearsal itself runs`;
  if (s.kind === 'CreateFunctionStmt') {
    const language = (body.options as { DefElem?: { defname?: string; arg?: { String?: { sval?: string } } } }[] | undefined)
      ?.find((o) => o.DefElem?.defname === 'language')?.DefElem?.arg?.String?.sval?.toLowerCase() ?? 'sql';
    if (!PARSED_ONLY_LANGUAGES.has(language)) return `creates a function in language ${language}, which runs or loads code when it is created (a dry run creates only sql and plpgsql functions)`;
  }
  for (const rel of relationsOf(s)) {
    const v = facts.view(rel);
    if (v?.fact === 'outside') return `view ${rel} calls ${v.calls.map((c) => `${c}()`).join(', ')}, volatile server functions a dry run does not call`;
  }
  let found: string | undefined;
  walk(s.stmt, (type, node) => {
    if (found) return;
    if (type === 'CopyStmt') {
      found = node.is_program
        ? `COPY … ${node.is_from ? 'FROM' : 'TO'} PROGRAM runs a program on the database server`
        : node.filename
          ? `COPY … ${node.is_from ? 'FROM' : 'TO'} '${String(node.filename)}' ${node.is_from ? 'reads' : 'writes'} a file on the database server`
          : 'COPY to or from the client is not part of a repair';
      return;
    }
    if (type !== 'FuncCall') return;
    const name = lastName(node.funcname).toLowerCase();
    if (name === 'set_config') {
      const local = (node.args as { A_Const?: { boolval?: { boolval?: boolean } } }[] | undefined)?.[2]?.A_Const?.boolval?.boolval === true;
      if (!local) found = 'set_config(…, false) changes a setting for the whole session';
      return;
    }
    const hit = OUTSIDE_FUNCTIONS.find(([re]) => re.test(name));
    if (hit) found = `${name}() ${hit[1]}`;
    else if (facts.fn(name) === 'outside') found = `${name}() is a volatile server function a dry run does not call`;
  });
  return found;
}
