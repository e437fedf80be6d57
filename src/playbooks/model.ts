import { z } from 'zod';

/**
 * A playbook is data (playbooks/*.yaml): the params a finding must give, the checks that count
 * blocking rows, the fix steps per mode, rollback and verification. SQL in a playbook is a
 * Mustache template rendered against a *view* whose every value is already a safe SQL fragment
 * (quoted identifiers, quoted literals, parsed expressions) — templates never see raw input.
 */

export const LOCK_MODES = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
] as const;
export type LockMode = (typeof LOCK_MODES)[number];

/**
 * Param types. Each one decides how the value is validated against the catalog and rendered:
 * - table: `schema.table` or `table` → view `x` (quoted, qualified), `xName` (bare), `xLiteral`, `xRegclass`
 * - column / columns: names of columns of the param named by `of` (default `table`)
 * - keys: column names or expressions (unique/index keys)
 * - expression / predicate: exactly one SQL expression, parsed; `subqueries: true` allows them (counters)
 * - name: an identifier for a new object; `default` is a template over the other params
 * - enum: one of `values`; values: a list of literals; transitions: {STATE: [NEXT…]}
 * - references: {table, columns}; sql: statements, parsed; tables: a list of tables
 */
export const PARAM_TYPES = [
  'table',
  'column',
  'columns',
  'keys',
  'expression',
  'predicate',
  'name',
  'enum',
  'values',
  'transitions',
  'references',
  'sql',
  'tables',
] as const;

export const paramSpecSchema = z
  .object({
    type: z.enum(PARAM_TYPES),
    optional: z.boolean().default(false),
    /** For column/columns/keys: the table param they belong to. */
    of: z.string().optional(),
    /** For enum. */
    values: z.array(z.string()).optional(),
    /** For name: a template producing the default, e.g. "{{tableName}}_{{columnsSlug}}_key". */
    default: z.string().optional(),
    /** For expression: allow subqueries (correlated counters). */
    subqueries: z.boolean().optional(),
    description: z.string().optional(),
  })
  .strict();
export type ParamSpec = z.infer<typeof paramSpecSchema>;

export const checkSpecSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/),
    description: z.string().optional(),
    blocking: z.boolean().default(true),
    /**
     * A row predicate on the target table. Predicate checks of one table are counted together in
     * one scan (`count(*) FILTER (WHERE …)`); their sample and offending rows derive from it.
     */
    predicate: z.string().optional(),
    /** Standalone count query returning `rows` (and for duplicates `groups`). */
    count: z.string().optional(),
    /** Standalone sample query (the engine appends LIMIT). */
    sample: z.string().optional(),
    /**
     * Query returning `tableoid AS row_table, ctid AS row_id` of the target rows a resolution changes (may use
     * {{keepOrder}}). Predicate checks derive it from the predicate.
     */
    rows: z.string().optional(),
    /**
     * For checks whose rows come in groups (duplicates): every row of the first {{sampleSize}}
     * groups with `pgmend_group` and `pgmend_rank`, ranked as `rows` ranks them ({{keepOrder}}):
     * rank 1 is the row a keep resolution leaves, the others are the rows it changes.
     */
    ranked: z.string().optional(),
    /** Query returning offending values and their counts (`value`, `rows`), e.g. allowed-values. */
    values: z.string().optional(),
    /**
     * The value `values` groups by, as an expression of the table (`{{column}}`): the engine then
     * takes the breakdown from the scan that counts the check, grouped by it among the check's
     * rows, and runs `values` only where that scan does not fuse.
     */
    value: z.string().optional(),
    /** Columns a set-null resolution clears (template, rendered to a list of quoted names). */
    nullable: z.string().optional(),
    /** Engine-computed extras: `cascade` is the transitive ON DELETE blast radius. */
    extra: z.enum(['cascade']).optional(),
  })
  .strict()
  .refine((c) => c.extra || c.predicate || c.count, { message: 'a check needs a predicate or a count query' });
export type CheckSpec = z.infer<typeof checkSpecSchema>;

export const stepSpecSchema = z
  .object({
    sql: z.string(),
    lock: z.enum(LOCK_MODES),
    /** Params (table, tables, references) naming the tables this step locks; checked at load. */
    tables: z.array(z.string()).default([]),
    /** Per param of `tables`, its own mode where it differs from `lock` (a new FK: SHARE ROW EXCLUSIVE on both). */
    locks: z.record(z.string(), z.enum(LOCK_MODES)).optional(),
    /** false for steps that cannot run inside a transaction block (CONCURRENTLY). */
    transactional: z.boolean().default(true),
    /** Rendered only when this view flag is truthy (e.g. `dropNotNull`). */
    when: z.string().optional(),
    /** For steps repeated per item of a view list (e.g. per column). */
    each: z.string().optional(),
    /** Index builds: report progress from pg_stat_progress_create_index. */
    progress: z.enum(['create-index']).optional(),
    /**
     * A row-changing step the engine runs itself so every changed row is backed up first: it
     * updates the rows of this check with `set` (`sql` is what a reader sees it amount to).
     */
    rowsOf: z.string().optional(),
    set: z.string().optional(),
    description: z.string().optional(),
    /**
     * Window-mode rehearsal: a form of the step that takes the same locks without reading every
     * row (`NOT VALID`, an index over no rows), run instead when `check` counted zero rows in the
     * plan's snapshot (plan/answered-validation.ts). Apply always runs `sql`. Rendered empty: none.
     */
    rehearse: z.object({ sql: z.string(), check: z.string() }).strict().optional(),
  })
  .strict();
export type StepSpec = z.infer<typeof stepSpecSchema>;

export const verifySpecSchema = z
  .object({ sql: z.string(), says: z.string(), when: z.string().optional() })
  .strict();

/** window: one transaction in a maintenance window; online: lock-light forms, steps commit one by one. */
export type Mode = 'window' | 'online';

export const playbookSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/),
    summary: z.string(),
    /** The param naming the table the checks scan and resolutions change. */
    target: z.string().default('table'),
    params: z.record(z.string(), paramSpecSchema),
    checks: z.array(checkSpecSchema).default([]),
    steps: z.object({ window: z.array(stepSpecSchema), online: z.array(stepSpecSchema) }).strict(),
    rollback: z.array(z.object({ sql: z.string(), when: z.string().optional(), each: z.string().optional() }).strict()).default([]),
    verify: z.array(verifySpecSchema).default([]),
  })
  .strict();
export type Playbook = z.infer<typeof playbookSchema>;
