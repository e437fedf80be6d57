import type {
  CascadeNode,
  CheckResult,
  FindingPlan,
  Plan,
  FlatStep,
  Rehearsal,
  ResolutionPreview,
  Row,
} from '../engine/index.js';
import { flatSteps } from '../engine/index.js';
import type { Resolution } from '../findings/model.js';
import { jsonValue } from './values.js';

export { parsePlanJson } from './plan-json-parse.js';

/**
 * `plan --format json`: the plan as design.md shows it. Keys are written in a fixed order so two
 * runs over the same database diff cleanly; row and param objects keep their own order (primary
 * key first). The loaded finding is not repeated: its title, severity, source, params and
 * resolution are enough for `apply --plan` to re-render it. `database` is written field by field,
 * so nothing but host, port, name, server version and search_path can ever reach the file.
 */
export function planToJson(plan: Plan): string {
  return JSON.stringify(planDocument(plan), null, 2) + '\n';
}

export function planDocument(plan: Plan): Record<string, unknown> {
  return {
    version: plan.version,
    id: plan.id,
    createdAt: plan.createdAt,
    mode: plan.mode,
    database: {
      host: plan.database.host,
      port: plan.database.port,
      name: plan.database.name,
      server: plan.database.server,
      searchPath: plan.database.searchPath ? [...plan.database.searchPath] : undefined,
    },
    fingerprint: plan.fingerprint,
    // What the fingerprint covers, and its DDL when planned: apply --plan says what changed since.
    tables: plan.tables ? [...plan.tables] : undefined,
    ddl: plan.ddl,
    findings: plan.findings.map(findingDocument),
    timings: plan.timings ? { ...plan.timings } : undefined,
  };
}

function findingDocument(f: FindingPlan): Record<string, unknown> {
  return {
    id: f.id,
    title: f.title,
    severity: f.severity,
    source: f.source,
    playbook: f.playbook,
    table: f.table,
    status: f.status,
    error: f.error,
    appliedReason: f.appliedReason,
    params: jsonValue(f.finding.params),
    resolution: f.resolution ? resolutionDocument(f.resolution) : undefined,
    resolutionPreview: f.resolutionPreview ? previewDocument(f.resolutionPreview) : undefined,
    review: f.finding.review ? { status: f.finding.review.status, by: f.finding.review.by, at: f.finding.review.at, note: f.finding.review.note } : undefined,
    checks: f.checks.map(checkDocument),
    steps: flatSteps(f.steps).map(stepDocument),
    rollback: [...f.rollback],
    verify: f.verify.map((v) => ({ sql: v.sql, says: v.says })),
    diff: f.diff,
    rehearsal: f.rehearsal ? rehearsalDocument(f.rehearsal) : undefined,
  };
}

function resolutionDocument(r: Resolution): Record<string, unknown> {
  return { strategy: r.strategy, keep: r.keep, orderBy: r.orderBy, set: r.set ? { ...r.set } : undefined };
}

function previewDocument(p: ResolutionPreview): Record<string, unknown> {
  return {
    resolution: resolutionDocument(p.resolution),
    check: p.check,
    table: p.table,
    rows: p.rows,
    sample: p.sample.map(rowDocument),
  };
}

function checkDocument(c: CheckResult): Record<string, unknown> {
  return {
    id: c.id,
    rows: c.rows,
    groups: c.groups,
    blocking: c.blocking,
    sample: c.sample.map(rowDocument),
    values: c.values?.map((v) => ({ value: jsonValue(v.value), rows: v.rows })),
    cascade: c.cascade?.map(cascadeDocument),
    answeredBy: c.answeredBy && { ...c.answeredBy, columns: [...c.answeredBy.columns] },
  };
}

function cascadeDocument(n: CascadeNode): Record<string, unknown> {
  return {
    table: n.table,
    via: n.via,
    action: n.action,
    maxPerParent: n.maxPerParent,
    total: n.total,
    children: n.children.map(cascadeDocument),
  };
}

function stepDocument(s: FlatStep): Record<string, unknown> {
  return {
    sql: s.sql,
    lock: s.lock,
    tables: [...s.tables],
    transactional: s.transactional,
    phase: s.phase,
    description: s.description,
    progress: s.progress,
    rowsOf: s.rowsOf,
    set: s.set,
    backupTable: s.backupTable,
    repeat: s.repeat,
    locks: s.locks ? byTable(s.locks) : undefined,
    // pg_locks lists them in no fixed order: sorted, so two plans of one database diff cleanly.
    observed: s.observed ? byTable(s.observed) : undefined,
    heldMs: s.heldMs,
    lockSource: s.lockSource,
    lockNote: s.lockNote,
    match: s.match,
  };
}

function rehearsalDocument(r: Rehearsal): Record<string, unknown> {
  return {
    ok: r.ok,
    ms: r.ms,
    rowCounts: [...r.rowCounts],
    rowCountsTogether: r.rowCountsTogether ? [...r.rowCountsTogether] : undefined,
    stepMs: r.stepMs ? [...r.stepMs] : undefined,
    counted: r.counted ? [...r.counted] : undefined,
    error: r.error,
    skipped: r.skipped,
    held: r.held,
    sandbox: r.sandbox,
    rollback: r.rollback
      ? { ...r.rollback, differs: r.rollback.differs ? [...r.rollback.differs] : undefined, answered: r.rollback.answered?.map((a) => ({ ...a })), inFull: r.rollback.inFull?.map((a) => ({ ...a })) }
      : undefined,
    answered: r.answered ? r.answered.map((a) => ({ ...a, ...(a.answeredBy ? { answeredBy: { ...a.answeredBy, columns: [...a.answeredBy.columns] } } : {}) })) : undefined,
    inFull: r.inFull ? r.inFull.map((a) => ({ ...a })) : undefined,
  };
}

function rowDocument(row: Row): unknown {
  return jsonValue(row);
}

/** A per-table map with its tables in code-point order. */
function byTable<T>(m: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
