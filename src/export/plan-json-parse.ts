import { z } from 'zod';
import { fromFlat, type CascadeNode, type FindingPlan, type Plan } from '../engine/index.js';
import { findingSchema, resolutionSchema, reviewSchema, SEVERITIES } from '../findings/model.js';
import { LOCK_MODES } from '../playbooks/model.js';
import { UsageError } from '../util/errors.js';
import { frozenInDev } from '../util/freeze.js';
import { formatZodIssues } from '../util/zod-errors.js';

/**
 * Reads a plan written by `planToJson` back into a Plan (for `apply --plan`). Unknown keys are
 * ignored so a newer writer's additions don't break an older reader; anything missing or of the
 * wrong shape is one line naming the file and the field.
 */

const rowSchema = z.record(z.string(), z.unknown());
const count = z.number().int().nonnegative();

const cascadeSchema: z.ZodType<CascadeNode> = z.lazy(() =>
  z.object({
    table: z.string(),
    via: z.string(),
    action: z.enum(['cascade', 'set-null', 'set-default', 'restrict', 'no-action']),
    maxPerParent: count,
    total: count,
    children: z.array(cascadeSchema),
  }),
);

const catalogAnswerSchema = z.object({
  kind: z.enum(['primary key', 'unique constraint', 'unique index', 'not null', 'foreign key']),
  object: z.string(),
  table: z.string(),
  columns: z.array(z.string()),
  says: z.string(),
});

const checkSchema = z.object({
  id: z.string().min(1),
  rows: count,
  groups: count.optional(),
  blocking: z.boolean(),
  sample: z.array(rowSchema),
  values: z.array(z.object({ value: z.unknown(), rows: count })).optional(),
  cascade: z.array(cascadeSchema).optional(),
  answeredBy: catalogAnswerSchema.optional(),
});

const stepSchema = z.object({
  sql: z.string().min(1),
  lock: z.enum(LOCK_MODES),
  tables: z.array(z.string()),
  transactional: z.boolean(),
  phase: z.enum(['resolution', 'fix']),
  description: z.string().optional(),
  progress: z.enum(['create-index']).optional(),
  rowsOf: z.string().optional(),
  set: z.string().optional(),
  backupTable: z.string().optional(),
  repeat: z.boolean().optional(),
  locks: z.record(z.string(), z.enum(LOCK_MODES)).optional(),
  observed: z.record(z.string(), z.enum(LOCK_MODES)).optional(),
  heldMs: z.number().nonnegative().optional(),
  lockSource: z.enum(['rules', 'observed']).optional(),
  lockNote: z.string().optional(),
  match: z
    .object({
      kind: z.enum(['primary-key', 'unique-key', 'whole-row']),
      columns: z.array(z.string()),
      set: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    })
    .optional(),
});

const rehearsalSchema = z.object({
  ok: z.boolean(),
  ms: z.number().nonnegative(),
  rowCounts: z.array(z.number().int()),
  rowCountsTogether: z.array(z.number().int()).optional(),
  stepMs: z.array(z.number().nonnegative()).optional(),
  counted: z.array(z.number().int().nonnegative()).optional(),
  error: z.string().optional(),
  skipped: z.string().optional(),
  held: z.string().optional(),
  sandbox: z.string().optional(),
  rollback: z
    .object({
      ok: z.boolean().optional(),
      differs: z.array(z.string()).optional(),
      skipped: z.string().optional(),
      ms: z.number().nonnegative().optional(),
      answered: z.array(z.object({ statement: z.number().int().nonnegative(), says: z.string() })).optional(),
      inFull: z.array(z.object({ statement: z.number().int().nonnegative(), why: z.string() })).optional(),
    })
    .optional(),
  answered: z.array(z.object({ step: z.number().int().nonnegative(), check: z.string(), rows: z.number().int().nonnegative(), form: z.enum(['not-valid', 'no-rows', 'listed-rows']), answeredBy: catalogAnswerSchema.optional() })).optional(),
  inFull: z.array(z.object({ step: z.number().int().nonnegative(), why: z.string(), rows: z.literal(true).optional() })).optional(),
});

const findingPlanSchema = z.object({
  id: z.string().min(1),
  title: z.string().min(1),
  severity: z.enum(SEVERITIES),
  source: z.string().optional(),
  playbook: z.string().min(1),
  table: z.string().optional(),
  status: z.enum(['ready', 'blocked', 'resolved', 'applied', 'error']),
  error: z.string().optional(),
  appliedReason: z.string().optional(),
  params: z.record(z.string(), z.unknown()),
  resolution: resolutionSchema.optional(),
  review: reviewSchema.optional(),
  resolutionPreview: z
    .object({ resolution: resolutionSchema, check: z.string(), table: z.string(), rows: count, sample: z.array(rowSchema) })
    .optional(),
  checks: z.array(checkSchema),
  steps: z.array(stepSchema),
  rollback: z.array(z.string()),
  verify: z.array(z.object({ sql: z.string().min(1), says: z.string() })),
  diff: z.string(),
  rehearsal: rehearsalSchema.optional(),
});

const planSchema = z.object({
  version: z.literal(1, { error: 'unsupported plan version (this pgmend reads version 1)' }),
  id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'expected the plan id pgmend wrote (letters, digits, "_", "-")'),
  createdAt: z.string().min(1),
  mode: z.enum(['window', 'online']),
  database: z.object({
    host: z.string(),
    port: z.number().int().positive().optional(),
    name: z.string(),
    server: z.string(),
    searchPath: z.array(z.string()).optional(),
  }),
  fingerprint: z.string().min(1),
  tables: z.array(z.string()).optional(),
  ddl: z.string().optional(),
  findings: z.array(findingPlanSchema),
  timings: z.record(z.string(), z.number()).optional(),
});

const HINT = 'regenerate it with `pgmend plan --format json`';

function invalid(file: string, path: (string | number)[], message: string): UsageError {
  const where = path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), '');
  return new UsageError(`${file}: ${where}: ${message}`, HINT);
}

export function parsePlanJson(text: string, file: string): Plan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${(e as Error).message})`, HINT);
  }
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) {
    throw new UsageError(`${file}: ${formatZodIssues(parsed.error)}`, HINT);
  }
  const doc = parsed.data;
  const seen = new Set<string>();
  const findings: FindingPlan[] = doc.findings.map((f, i) => {
    if (seen.has(f.id)) throw invalid(file, ['findings', i, 'id'], `duplicate finding id ${f.id}`);
    seen.add(f.id);
    // The finding as loaded is rebuilt from the kept fields and checked by the findings file's own rules.
    const finding = findingSchema.safeParse({
      id: f.id,
      title: f.title,
      severity: f.severity,
      ...(f.source !== undefined ? { source: f.source } : {}),
      playbook: f.playbook,
      params: f.params,
      ...(f.resolution ? { resolution: f.resolution } : {}),
      ...(f.review ? { review: f.review } : {}),
    });
    if (!finding.success) {
      throw new UsageError(`${file}: ${formatZodIssues(finding.error, ['findings', i])}`, HINT);
    }
    const { review: _review, ...plan } = f;
    return { ...plan, steps: fromFlat(plan.steps), finding: finding.data };
  });
  return frozenInDev({
    version: 1,
    id: doc.id,
    createdAt: doc.createdAt,
    mode: doc.mode,
    database: doc.database,
    fingerprint: doc.fingerprint,
    ...(doc.tables ? { tables: doc.tables } : {}),
    ...(doc.ddl !== undefined ? { ddl: doc.ddl } : {}),
    findings,
    ...(doc.timings ? { timings: doc.timings } : {}),
  });
}
