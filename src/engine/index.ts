/**
 * The engine's one door: `cli/`, `tui/` and `export/` import the engine from here only (a
 * dependency-cruiser rule holds it). The stages behind it: `checks/` (prechecks: batched, fused,
 * decorrelated counts), `plan/` (build, rehearsal, cascade, order, the plan model), `apply/` (window
 * and online runs, guard, journal, lease), `rollback/`, and `scan/` (findings from a live database).
 */
export { buildPlan, PLAN_DEFAULTS, type PlanEvent } from './plan/plan.js';
export type {
  Mode,
  Plan,
  FindingPlan,
  FindingStatus,
  PlanStep,
  FlatStep,
  RowChange,
  Step,
  CheckResult,
  CascadeNode,
  AnsweredValidation,
  Rehearsal,
  RollbackRehearsal,
  ResolutionPreview,
  Row,
  CatalogAnswer,
} from './plan/plan-model.js';
export { isApplicable, blockingLeft, isSignedOffSkipped, signedOffText } from './plan/plan-model.js';
export { changesOf, flatSteps, fromFlat, isRowChange, statements, type Statement } from './plan/steps.js';
export { catalogAnswerText } from './checks/catalog-answers.js';
export { describeTableLocks } from './plan/step-locks.js';
export { previewResolution } from './plan/preview.js';
export type { KeepOrdering } from './plan/keep-order.js';

export { applyPlan, resumeRun, selectFindings } from './apply/apply.js';

export type { ApplyEvent, ApplyResult, ApplyPhase } from './apply/apply-model.js';
export { parseWindow, windowState, formatDuration, outsideText, outsideWindow, type MaintenanceWindow } from './apply/maintenance-window.js';
export { changedRowsText, rehearsedChanges } from './apply/changed-rows.js';
export { listRuns, runReviews, rowsChangedByFinding, type RunRow } from './apply/journal.js';

export { rollbackRun } from './rollback/rollback.js';

export { scanDatabase } from './scan/scan.js';
export { renderScan } from './scan/output.js';
export { DEFAULT_THRESHOLDS, type ScanEvent, type ScanResult, type ScanThresholds } from './scan/model.js';
