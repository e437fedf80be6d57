import type { DbTarget } from '../db/connection.js';
import { describe } from '../db/connection.js';
import { withClient } from '../db/session.js';
import type { PlaybookSet } from '../playbooks/load.js';
import {
  buildPlan,
  previewResolution,
  applyPlan,
  listRuns,
  rowsChangedByFinding,
  rollbackRun,
  type PlanEvent,
  type ApplyEvent,
  type ApplyResult,
  type Mode,
  type Plan,
  type ResolutionPreview,
  type Row,
  type MaintenanceWindow,
} from '../engine/index.js';
import { writeExportFiles, type ExportedFiles } from '../export/export-files.js';
import { parseFindingsText } from '../findings/load.js';
import type { Finding, Resolution } from '../findings/model.js';
import { FindingsFileWriter } from '../findings/save.js';
import { editText } from './editor.js';

/**
 * Everything the TUI asks of the world, in one place: the engine (plan, preview, apply), the
 * checklist export and the editor. The TUI holds no SQL; these are the only doors out.
 */
export interface ReviewServices {
  mode: Mode;
  window: MaintenanceWindow;
  /** The name the apply confirmation must be typed as. */
  databaseName: string;
  /** `user@host:port/db` once ready (never a password). */
  databaseLabel(): string;
  /** Waits until the database can be planned against (the demo starts a server first). */
  ready(say: (text: string) => void): Promise<void>;
  buildPlan(findings: Finding[], opts: { planId?: string; onProgress?: (e: PlanEvent) => void }): Promise<Plan>;
  previewResolution(finding: Finding, resolution: Resolution): Promise<ResolutionPreview & { after: Row[] }>;
  applyPlan(plan: Plan, only: string[], onProgress: (e: ApplyEvent) => void): Promise<ApplyResult>;
  /** Who signs off (`--reviewer`, git's user.name, $USER). */
  reviewer: string;
  /** The findings file decisions are written to (shown in the header); undefined: kept in memory only. */
  findingsFile?: string;
  /** Writes a decision (what changed from `before` to `after`) into the findings file, atomically. */
  saveFinding(before: Finding, after: Finding): Promise<void>;
  /** Writes the checklist, the plan JSON and the psql script of `plan` side by side; returns the files. */
  exportPlanFiles(plan: Plan): Promise<ExportedFiles>;
  /** Opens text in $EDITOR (Ink is unmounted meanwhile); returns what was saved. */
  editText(text: string, fileName: string): Promise<string>;
  /** The journal's runs, newest first, with what each changed per finding. */
  journal(): Promise<JournalRun[]>;
  /** `pgmend rollback --run` for one run: schema and rows as they were before it, in one transaction. */
  rollbackRun(runId: number, onNote: (text: string) => void): Promise<{ statements: number; rowsRestored: number }>;
  /** Parses and validates an edited one-finding file. */
  parseFindings(text: string, name: string): Finding[];
  now(): Date;
}

/** A run of the journal as the journal screen shows it. */
export interface JournalRun {
  id: number;
  startedAt: Date;
  status: string;
  mode: string;
  /** `alice as postgres`: who ran it, as which role. */
  who: string;
  rowsChanged: number;
  error: string | null;
  rolledBackAt: Date | null;
  /** Per finding, the rows its steps deleted and updated. */
  findings: { id: string; deleted: number; updated: number }[];
}

export interface EngineServiceConfig {
  /** The database, or a boot step that makes one (demo). */
  target?: DbTarget;
  boot?: (say: (text: string) => void) => Promise<DbTarget>;
  databaseName: string;
  playbooks: PlaybookSet;
  mode: Mode;
  window: MaintenanceWindow;
  lockTimeoutMs: number;
  lockRetries: number;
  statementTimeoutMs: number;
  sampleSize: number;
  snapshotDir?: string;
  /** The findings file the session was opened with: every decision is written back to it. */
  findingsFile?: string;
  /** When `findingsFile` does not exist yet: the file it starts as (the demo's example, never written). */
  findingsSeed?: string;
  /** Who signs off; default: $USER. */
  reviewer?: string;
  /** Where `x` writes the checklist, the plan JSON and the psql script. */
  exportDir: string;
  /** Runs `fn` with the terminal handed over (Ink unmounted); default: just runs it. */
  suspend?: <T>(fn: () => Promise<T>) => Promise<T>;
  env?: NodeJS.ProcessEnv;
}

export function engineServices(cfg: EngineServiceConfig): ReviewServices {
  let target = cfg.target;
  const need = (): DbTarget => {
    if (!target) throw new Error('the database is not ready yet');
    return target;
  };
  const suspend = cfg.suspend ?? (<T>(fn: () => Promise<T>) => fn());
  const writer = cfg.findingsFile ? new FindingsFileWriter(cfg.findingsFile, cfg.findingsSeed) : undefined;
  return {
    mode: cfg.mode,
    window: cfg.window,
    databaseName: cfg.databaseName,
    databaseLabel: () => (target ? describe(target) : cfg.databaseName),
    async ready(say) {
      if (!target && cfg.boot) target = await cfg.boot(say);
      need();
    },
    buildPlan: (findings, opts) =>
      buildPlan({
        target: need(),
        findings,
        playbooks: cfg.playbooks,
        mode: cfg.mode,
        rehearse: true,
        lockTimeoutMs: cfg.lockTimeoutMs,
        statementTimeoutMs: cfg.statementTimeoutMs,
        sampleSize: cfg.sampleSize,
        ...(opts.planId ? { planId: opts.planId } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      }),
    previewResolution: (finding, resolution) =>
      previewResolution(need(), cfg.playbooks, finding, resolution, { mode: cfg.mode, sampleSize: cfg.sampleSize, lockTimeoutMs: cfg.lockTimeoutMs }),
    applyPlan: (plan, only, onProgress) =>
      applyPlan({
        target: need(),
        plan,
        playbooks: cfg.playbooks,
        only,
        mode: cfg.mode,
        window: cfg.window,
        lockTimeoutMs: cfg.lockTimeoutMs,
        lockRetries: cfg.lockRetries,
        ...(cfg.snapshotDir ? { snapshotDir: cfg.snapshotDir } : {}),
        onProgress,
      }),
    reviewer: cfg.reviewer ?? cfg.env?.USER ?? process.env.USER ?? 'unknown',
    ...(cfg.findingsFile ? { findingsFile: cfg.findingsFile } : {}),
    saveFinding: async (before, after) => {
      await writer?.save(before, after);
    },
    exportPlanFiles: (plan) => writeExportFiles(plan, cfg.exportDir, { mode: plan.mode, lockTimeoutMs: cfg.lockTimeoutMs, now: new Date() }),
    editText: (text, fileName) => suspend(() => editText(text, fileName, cfg.env ?? process.env)),
    journal: () =>
      withClient(need(), async (c) => {
        const runs = await listRuns(c);
        const out: JournalRun[] = [];
        for (const r of [...runs].reverse()) {
          const changed = r.status === 'running' ? new Map<string, { deleted: number; updated: number }>() : await rowsChangedByFinding(c, Number(r.id));
          out.push({
            id: Number(r.id),
            startedAt: r.started_at,
            status: r.status,
            mode: r.mode,
            who: `${r.os_user ?? '?'} as ${r.db_role}`,
            rowsChanged: Number(r.rows_changed),
            error: r.error,
            rolledBackAt: r.rolled_back_at,
            findings: r.findings.map((id) => ({ id, ...(changed.get(id) ?? { deleted: 0, updated: 0 }) })),
          });
        }
        return out;
      }, 'pgmend'),
    rollbackRun: (runId, onNote) => rollbackRun(need(), runId, { onNote }),
    parseFindings: (text, name) => parseFindingsText(text, name, cfg.playbooks),
    now: () => new Date(),
  };
}
