import type { Mode, Plan } from '../engine/index.js';
import { planToChecklist } from './checklist-md.js';
import { planToJson } from './plan-json.js';
import { planToPsql } from './psql-script.js';

/** `plan --format md|json|sql`: one entry point for the CLI. */

export type ExportFormat = 'md' | 'json' | 'sql';

export interface ExportOptions {
  /** The time printed as "generated" (md, sql). */
  now?: Date;
  /** sql: must match the plan's mode; defaults to it. */
  mode?: Mode;
  /** sql: `SET lock_timeout`, default 1000 ms. */
  lockTimeoutMs?: number;
  /** sql: `SET statement_timeout`; server default when absent. */
  statementTimeoutMs?: number;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 1000;

export function exportPlan(plan: Plan, format: ExportFormat, opts: ExportOptions = {}): string {
  switch (format) {
    case 'json':
      return planToJson(plan);
    case 'md':
      return planToChecklist(plan, opts.now ? { now: opts.now } : {});
    case 'sql':
      return planToPsql(plan, {
        lockTimeoutMs: opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
        ...(opts.mode ? { mode: opts.mode } : {}),
        ...(opts.statementTimeoutMs !== undefined ? { statementTimeoutMs: opts.statementTimeoutMs } : {}),
        ...(opts.now ? { now: opts.now } : {}),
      });
  }
}

export { planToChecklist, type ChecklistOptions } from './checklist-md.js';
export { planToJson, parsePlanJson } from './plan-json.js';
export { planToPsql, type PsqlScriptOptions } from './psql-script.js';
