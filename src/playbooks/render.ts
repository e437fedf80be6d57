import Mustache from 'mustache';
import type { Playbook, StepSpec, CheckSpec } from './model.js';
import type { View } from './view.js';
import { addLock, strongestOf, type TableLocks } from './lock-modes.js';
import type { LockMode, Mode } from './model.js';

/**
 * Renders a playbook's templates against a view. Every view value is already a safe SQL fragment,
 * so Mustache's HTML escaping is switched off for our renders only.
 */
export function renderTemplate(template: string, view: object): string {
  return Mustache.render(template, view, {}, { escape: (s: string) => s });
}

function lookup(view: View, key: string): unknown {
  return key.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), view);
}

function truthy(v: unknown): boolean {
  return Array.isArray(v) ? v.length > 0 : Boolean(v);
}

/** `when: "a && b.c"`: every named view value truthy. */
export function whenHolds(when: string | undefined, view: View): boolean {
  if (!when) return true;
  return when.split('&&').every((k) => truthy(lookup(view, k.trim())));
}

/** The lock a step declares per table: params of type table/references/tables, each at its `locks` mode or `lock`. */
function stepLocks(spec: StepSpec, view: View): TableLocks {
  const locks: TableLocks = {};
  for (const param of spec.tables) for (const t of view.tableNames[param] ?? []) addLock(locks, t, spec.locks?.[param] ?? spec.lock);
  return locks;
}

/** Expands `each` into one view per element; the element may declare its step's own locks (`step`). */
function expand<T extends { each?: string | undefined }>(spec: T, view: View): { view: View; item?: StepItem }[] {
  if (!spec.each) return [{ view }];
  const items = lookup(view, spec.each);
  return Array.isArray(items) ? items.map((item) => ({ view: { ...view, ...(item as object) }, item: item as StepItem })) : [];
}

interface StepItem {
  step?: { lock?: LockMode; locks?: TableLocks; transactional?: boolean };
}

/** A fix step as its playbook renders it; the engine's plan step is this plus what planning adds. */
export interface RenderedStep {
  sql: string;
  lock: LockMode;
  tables: string[];
  locks: TableLocks;
  transactional: boolean;
  phase: 'fix';
  description?: string;
  progress?: 'create-index';
  rowsOf?: string;
  set?: string;
  /** Window rehearsal only: the same locks without reading every row, when `check` counted zero (never applied). */
  rehearse?: { sql: string; check: string };
}

export function renderSteps(playbook: Playbook, view: View, mode: Mode): RenderedStep[] {
  const out: RenderedStep[] = [];
  for (const spec of playbook.steps[mode]) {
    if (!whenHolds(spec.when, view)) continue;
    for (const { view: v, item } of expand(spec, view)) {
      const sql = renderTemplate(spec.sql, v).trim();
      const locks = item?.step?.locks ?? stepLocks(spec, view);
      out.push({
        sql,
        lock: strongestOf(locks) ?? item?.step?.lock ?? spec.lock,
        tables: Object.keys(locks),
        locks,
        transactional: spec.transactional && (item?.step?.transactional ?? true),
        phase: 'fix',
        ...(spec.description ? { description: spec.description } : {}),
        ...(spec.progress ? { progress: spec.progress } : {}),
        ...(spec.rowsOf ? { rowsOf: spec.rowsOf, set: renderTemplate(spec.set ?? '', v) } : {}),
        ...rehearseForm(spec, v),
      });
    }
  }
  return out;
}

function rehearseForm(spec: StepSpec, view: object): Pick<RenderedStep, 'rehearse'> {
  const sql = spec.rehearse ? renderTemplate(spec.rehearse.sql, view).trim() : '';
  return sql ? { rehearse: { sql, check: spec.rehearse!.check } } : {};
}

export function renderRollback(playbook: Playbook, view: View): string[] {
  return playbook.rollback.filter((r) => whenHolds(r.when, view)).flatMap((r) => expand(r, view).map(({ view: v }) => renderTemplate(r.sql, v).trim()));
}

export function renderVerify(playbook: Playbook, view: View): { sql: string; says: string }[] {
  return playbook.verify.filter((v) => whenHolds(v.when, view)).map((v) => ({ sql: renderTemplate(v.sql, view).trim(), says: v.says }));
}

export interface RenderedCheck {
  spec: CheckSpec;
  predicate?: string;
  count?: string;
  sample?: string;
  rows?: string;
  ranked?: string;
  values?: string;
  value?: string;
  nullable?: string;
}

export function renderChecks(playbook: Playbook, view: View): RenderedCheck[] {
  return playbook.checks.map((spec) => {
    const r = (t?: string) => (t === undefined ? undefined : renderTemplate(t, view).trim());
    const c: RenderedCheck = { spec };
    for (const k of ['predicate', 'count', 'sample', 'rows', 'ranked', 'values', 'value', 'nullable'] as const) {
      const v = r(spec[k]);
      if (v !== undefined) c[k] = v;
    }
    return c;
  });
}
