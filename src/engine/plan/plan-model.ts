import type { KeepOrdering } from './keep-order.js';
import type { LockMode, Mode } from '../../playbooks/model.js';
import type { TableLocks } from '../../playbooks/lock-modes.js';
import type { RowMatch } from './row-match.js';
import type { Finding, Resolution, Severity } from '../../findings/model.js';

/** The plan: everything the checklist, the JSON export, the TUI and apply read. Shape per design.md. */

/** The schema that holds backups and the journal. */
export const BACKUP_SCHEMA = 'pgmend';

export type FindingStatus = 'ready' | 'blocked' | 'resolved' | 'applied' | 'error';
export type { Mode };

export type Row = Record<string, unknown>;

export interface CheckResult {
  id: string;
  rows: number;
  /** Duplicates only. */
  groups?: number;
  blocking: boolean;
  /** Bounded sample, primary key first. */
  sample: Row[];
  /** allowed-values: the offending values and their counts. */
  values?: { value: unknown; rows: number }[];
  /** foreign-key: the transitive ON DELETE blast radius after the change. */
  cascade?: CascadeNode[];
  /** Not counted: the catalog proves there is no such row (rows is 0). */
  answeredBy?: CatalogAnswer;
}

/** One table reached from a parent delete, following CASCADE / SET NULL edges. */
export interface CascadeNode {
  table: string;
  via: string;
  action: 'cascade' | 'set-null' | 'set-default' | 'restrict' | 'no-action';
  /** The most rows one parent delete touches in this table. */
  maxPerParent: number;
  /** Rows referencing any parent in total. */
  total: number;
  children: CascadeNode[];
}

export interface PlanStep {
  readonly sql: string;
  readonly lock: LockMode;
  readonly tables: readonly string[];
  readonly transactional: boolean;
  /** Declared lock per table (qualified): `lock` is the strongest of them, `tables` all of them. */
  readonly locks?: TableLocks;
  /** The locks rehearsal saw PostgreSQL take in this step (pg_locks of its own session), per table. */
  readonly observed?: TableLocks;
  /** How long rehearsal held this step's locks, ms: from the step's start to the finding's rollback. */
  readonly heldMs?: number;
  /** `rules`: the declaration comes from the rules alone (rehearsal could not run the step in a transaction, or did not run it). */
  readonly lockSource?: 'rules' | 'observed';
  /** Rehearsal saw PostgreSQL take a stronger lock or an undeclared table: what was declared and what it took. */
  readonly lockNote?: string;
  /** `resolution`, `fix` — resolutions run before fixes. */
  readonly phase: 'resolution' | 'fix';
  readonly description?: string;
  readonly progress?: 'create-index';
  /** Row-changing steps the engine runs with a backup: the check whose rows change, and how. */
  readonly rowsOf?: string;
  readonly set?: string;
  /** Window rehearsal only: the same locks without reading every row, when `check` counted zero in the plan's snapshot (never applied). */
  readonly rehearse?: { sql: string; check: string };
}

/**
 * A row change, one value: the rows are copied (locked FOR UPDATE) into `backupTable`, tagged with
 * the transaction id, then `change` deletes or updates exactly the rows its own transaction backed
 * up — so the two run in one transaction, together. `match` says how rollback finds the rows again.
 */
export interface RowChange {
  readonly kind: 'row-change';
  readonly phase: PlanStep['phase'];
  /** Creating the backup schema and table: on a finding's first row change only. */
  readonly prepare: readonly PlanStep[];
  readonly backup: PlanStep;
  readonly change: PlanStep;
  readonly changes: 'delete' | 'update';
  /** Qualified backup table. */
  readonly backupTable: string;
  /** Absent only in a plan made by an older pgmend (apply refuses it: row-match.ts). */
  readonly match?: RowMatch;
  /** Online mode: backup and change repeat, one transaction per batch, until no row is left. */
  readonly repeat: boolean;
}

/** What a finding runs, in order: statements, and row changes (each one value; steps.ts flattens them for the plan JSON). */
export type Step = PlanStep | RowChange;

/** A step as the plan JSON, the exports and rehearsal's per-step arrays list it: a row change's backup statement also says its table, batching and match. */
export interface FlatStep extends PlanStep {
  backupTable?: string;
  repeat?: boolean;
  match?: RowMatch;
}

/** The finding's rollback, run right after its fix in the same rolled-back savepoint (window mode) and compared with the state before the fix; or why not. */
export interface RollbackRehearsal {
  /** true: schema and rows exactly as before the fix; false: `differs` says what is not. Absent when skipped. */
  ok?: boolean;
  differs?: string[];
  /** Why it was not rehearsed (online mode, a step outside a transaction, a finding the dry run holds back). */
  skipped?: string;
  ms?: number;
  /** Statements rehearsed without reading rows: what the fix's answered validation proves for them (rollback-answered.ts). */
  answered?: { statement: number; says: string }[];
  /** Statements that could have been, run in full, and why. */
  inFull?: { statement: number; why: string }[];
}

/**
 * A validating step rehearsed without reading every row — `NOT VALID`, or a unique index built over
 * no rows — because the prechecks counted its blocking rows, zero, in the plan's snapshot and no
 * transaction committed on the server since, or because the validated foreign key it replaces
 * answers for it (plan/answered-validation.ts).
 */
export interface AnsweredValidation {
  step: number;
  /** The check whose count answers the validation (`violations`, `orphans`, `duplicates`). */
  check: string;
  rows: number;
  /**
   * `not-valid`: the constraint added NOT VALID; `no-rows`: the unique index built `WHERE false`;
   * `listed-rows`: a row change's backup over the rows the check listed (plan/listed-rows.ts).
   */
  form: 'not-valid' | 'no-rows' | 'listed-rows';
  /** Not a count: the foreign key the step replaces answered it, read again under the step's lock (answered-validation.ts). */
  answeredBy?: CatalogAnswer;
}

/** A step with a cheaper rehearsal form that window rehearsal still ran in full, and why. */
export interface ValidatedInFull {
  step: number;
  why: string;
  /** A row change's backup that found its rows by their query, not the prechecks' list (listed-rows.ts). */
  rows?: true;
}

export interface Rehearsal {
  ok: boolean;
  ms: number;
  /** Rows each step touched, in step order. */
  rowCounts: number[];
  /** Rows each step touches when every runnable finding of the plan is applied together, in order. */
  rowCountsTogether?: number[];
  /** Per-step timings, in step order. */
  stepMs?: number[];
  /** Per step, the relation locks PostgreSQL took (null: the step was not run in the transaction). */
  observed?: (TableLocks | null)[];
  /** Per step, ms from its start to the rollback that released its locks. */
  heldMs?: (number | null)[];
  /** Online mode: steps planned (EXPLAIN), not run — a batched repair whose rows are exactly a precheck's; rowCounts holds that count. */
  counted?: number[];
  /** Why it failed: lock not granted in time, a constraint error… */
  error?: string;
  skipped?: string;
  /** A `sql` finding a dry run does not execute, and why (statements acting outside the transaction, unapproved opaque code). */
  held?: string;
  /** Opaque code rehearsed as this role, which cannot reach outside the database. */
  sandbox?: string;
  /** Window mode: the rollback rehearsed after the fix, or why not. */
  rollback?: RollbackRehearsal;
  /** Window mode: steps whose validation the precheck count answered (rehearsed NOT VALID or over no rows). */
  answered?: AnsweredValidation[];
  /** Window mode: steps that could have been answered by a count but were validated (built) in full, and why. */
  inFull?: ValidatedInFull[];
}

/** What a resolution will change, before it is chosen: recounted and sampled. */
export interface ResolutionPreview {
  resolution: Resolution;
  check: string;
  table: string;
  rows: number;
  sample: Row[];
  /**
   * A resolution keeping one row per group: the first groups' rows with `pgmend_group` and
   * `pgmend_rank` (1 = the row kept), and what ranks them.
   */
  ranked?: Row[];
  ordering?: KeepOrdering;
}

/** Emitted once built: an immutable value (new values replace it; frozen in development and tests). */
export interface FindingPlan {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly source?: string;
  /** Why `pgmend scan` proposed it (shown in review; not part of the plan JSON). */
  readonly evidence?: string;
  readonly playbook: string;
  /** Main table, qualified, unquoted (`public.identities`). */
  readonly table?: string;
  readonly status: FindingStatus;
  readonly error?: string;
  /** Why a finding is `applied`. */
  readonly appliedReason?: string;
  readonly checks: readonly CheckResult[];
  readonly resolution?: Resolution;
  readonly resolutionPreview?: ResolutionPreview;
  readonly steps: readonly Step[];
  readonly rollback: readonly string[];
  readonly verify: readonly { readonly sql: string; readonly says: string }[];
  readonly diff: string;
  readonly rehearsal?: Rehearsal;
  /** The finding as loaded, so apply can re-render it. */
  readonly finding: Finding;
}

export interface PlanDatabase {
  host: string;
  port?: number;
  name: string;
  user?: string;
  server: string;
  /** The schemas unqualified names were looked up in when planned (current_schemas, in order): apply refuses another. */
  searchPath?: string[];
}

export interface Plan {
  readonly version: 1;
  /** Short id; names the backup tables this plan's resolutions write. */
  readonly id: string;
  readonly createdAt: string;
  readonly mode: Mode;
  readonly database: PlanDatabase;
  readonly fingerprint: string;
  /** The tables the plan involves, and their DDL when planned: apply says what changed since. */
  readonly tables?: readonly string[];
  readonly ddl?: string;
  readonly findings: readonly FindingPlan[];
  /** Timings of plan phases, ms. */
  readonly timings?: Record<string, number>;
}

/** A check whose count the catalog proves is zero: the object that proves it (see checks/catalog-answers.ts). */
export interface CatalogAnswer {
  kind: 'primary key' | 'unique constraint' | 'unique index' | 'not null' | 'foreign key';
  /** The constraint or index (for `not null`, the column). */
  object: string;
  /** Its table, as SQL names it (`public."InvoiceLine"`). */
  table: string;
  columns: string[];
  says: string;
}

/** Ready or resolved: a finding an apply would run (the one definition; a sign-off may still skip it). */
export const isApplicable = (f: Pick<FindingPlan, 'status'>): boolean => f.status === 'ready' || f.status === 'resolved';

/** A reviewer signed the finding off as skipped: no run takes it unless --only names it. */
export const isSignedOffSkipped = (f: Pick<Finding, 'review'>): boolean => f.review?.status === 'skipped';

/** The sign-off as words: who skipped it and why. */
export const signedOffText = (r: NonNullable<Finding['review']>): string => `signed off as skipped by ${r.by}${r.note ? `: ${r.note}` : ''}`;

/** The blocking checks that still count rows: what keeps a finding blocked, or what verification finds left. */
export const blockingLeft = <C extends Pick<CheckResult, 'blocking' | 'rows'>>(checks: readonly C[]): C[] => checks.filter((c) => c.blocking && c.rows > 0);

/** The rows a statement changes, by its verb: `delete`, `update`, or none. Only hand-written SQL is read so (steps.ts): a row change says what it changes. */
export function verbChanges(sql: string): 'delete' | 'update' | undefined {
  const verb = /^\s*(DELETE|UPDATE)\b/i.exec(sql)?.[1]?.toUpperCase();
  return verb === 'DELETE' ? 'delete' : verb === 'UPDATE' ? 'update' : undefined;
}
