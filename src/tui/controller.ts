import path from 'node:path';
import { windowState, type FindingPlan, type ResolutionPreview, type ApplyEvent, type ApplyResult } from '../engine/index.js';
import { skipReason, statusSummary } from '../export/summary.js';
import { plural } from '../export/values.js';
import type { Finding, Review } from '../findings/model.js';
import { errorMessage } from '../util/errors.js';
import type { Action as KeyAction } from './keymap.js';
import { cursorIndex, keyCount, visibleItems } from './list-view.js';
import { cycle, draftResolution, fieldsFor, initialDraft } from './resolve-draft.js';
import type { ReviewServices } from './services.js';
import type { Pane, ReviewState } from './state.js';
import type { Store } from './store.js';
import { resultLines, stepLine } from './apply-log.js';
import { seg } from './text.js';
import { findingYaml } from './editor.js';
import { maxContext } from './diff-context.js';
import { STATUS_LOOK } from './theme.js';

/**
 * What keys and engine answers do to the session: pure moves go straight to the reducer, engine
 * calls (plan, preview, apply, export, edit) run here and report back as actions.
 */

export interface ViewMetrics {
  /** Rows of the list viewport. */
  listPage: number;
  /** Lines in the detail pane and rows it shows. */
  detailLines: number;
  detailPage: number;
  helpLines: number;
  helpPage: number;
  /** Lines of the apply confirmation's batch, and how many it shows. */
  applyLines: number;
  applyPage: number;
}

const PREVIEW_DEBOUNCE_MS = 200;

const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export class ReviewController {
  readonly metrics: ViewMetrics = { listPage: 10, detailLines: 0, detailPage: 10, helpLines: 0, helpPage: 10, applyLines: 0, applyPage: 10 };
  private previewTimer: NodeJS.Timeout | undefined;
  private applying = false;
  private planning: Promise<void> | undefined;

  constructor(
    readonly store: Store,
    readonly services: ReviewServices,
    private readonly onQuit: () => void,
  ) {}

  private get s(): ReviewState {
    return this.store.getState();
  }

  private say(text: string, tone: 'ok' | 'bad' | 'info' = 'info'): void {
    this.store.dispatch({ type: 'message', message: { text, tone, ...(text.startsWith('wait: the plan') ? { untilPlan: true } : {}) } });
  }

  /** Boot (if any), then the whole plan, filling statuses in as the engine reports. */
  async start(): Promise<void> {
    try {
      await this.services.ready((text) => this.store.dispatch({ type: 'boot', text }));
      this.store.dispatch({ type: 'boot' });
    } catch (e) {
      this.store.dispatch({ type: 'boot' });
      this.store.dispatch({ type: 'planFailed', error: errorMessage(e) });
      return;
    }
    await this.planAll();
  }

  planAll(): Promise<void> {
    this.planning ??= (async () => {
      this.store.dispatch({ type: 'planStarted' });
      try {
        const plan = await this.services.buildPlan(this.s.findings, { onProgress: (event) => this.store.dispatch({ type: 'planEvent', event }) });
        this.store.dispatch({ type: 'planDone', plan });
      } catch (e) {
        this.store.dispatch({ type: 'planFailed', error: errorMessage(e) });
      } finally {
        this.planning = undefined;
      }
    })();
    return this.planning;
  }

  /** Re-plans one finding (after an edit or a resolution) and merges it into the plan. */
  async replan(finding: Finding, resolutionPreview?: ResolutionPreview): Promise<void> {
    const plan = this.s.plan;
    if (!plan) return;
    this.store.dispatch({ type: 'findingChanged', finding });
    this.store.dispatch({ type: 'busy', id: finding.id, what: 're-planning' });
    try {
      const sub = await this.services.buildPlan([finding], { planId: plan.id });
      const fp = sub.findings[0]!;
      const known = new Set(this.s.plan?.tables ?? plan.tables ?? []);
      if ((sub.tables ?? []).some((t) => !known.has(t))) {
        // The edit reaches tables the plan did not cover: its fingerprint must cover them too.
        this.store.dispatch({ type: 'busy', id: finding.id });
        await this.planAll();
        return;
      }
      const merged: FindingPlan = resolutionPreview && fp.status === 'resolved' ? { ...fp, resolutionPreview } : fp;
      this.store.dispatch({ type: 'findingPlanned', plan: merged });
      // The new diff opens with all the context it holds (as a freshly opened detail does), not the old diff's.
      if (this.s.detail.id === merged.id) this.store.dispatch({ type: 'context', to: maxContext(merged.diff) });
      const look = STATUS_LOOK[merged.status];
      const count = keyCount(merged);
      this.say(`${merged.id} re-planned: ${look.glyph} ${look.word}${count ? ` · ${count}` : ''}${merged.error ? ` · ${merged.error}` : ''}`, merged.status === 'error' ? 'bad' : 'ok');
    } catch (e) {
      this.store.dispatch({ type: 'busy', id: finding.id });
      this.say(`${finding.id}: could not re-plan: ${errorMessage(e)}`, 'bad');
    }
  }

  findingPlan(id: string): FindingPlan | undefined {
    return this.s.plan?.findings.find((f) => f.id === id) ?? this.s.early[id];
  }

  private currentId(): string | undefined {
    const s = this.s;
    if (s.screen === 'detail' || s.screen === 'resolve') return s.detail.id;
    const list = visibleItems(s);
    return list[cursorIndex(s, list)]?.id;
  }

  // ---- keys ---------------------------------------------------------------------------------

  command(action: KeyAction): void {
    const s = this.s;
    if (action === 'quit') return this.quit();
    if (s.help) return this.helpCommand(action);
    if (action === 'help') return this.store.dispatch({ type: 'help', show: true });
    if (s.message && s.screen !== 'apply') this.store.dispatch({ type: 'message' });
    switch (s.screen) {
      case 'list':
        return this.listCommand(action);
      case 'detail':
        return this.detailCommand(action);
      case 'resolve':
        return this.resolveCommand(action);
      case 'apply':
        return this.applyCommand(action);
    }
  }

  private helpCommand(action: KeyAction): void {
    const max = Math.max(0, this.metrics.helpLines - this.metrics.helpPage);
    const page = Math.max(1, this.metrics.helpPage - 1);
    const at = this.s.helpScroll;
    const to = (n: number) => this.store.dispatch({ type: 'helpScroll', to: Math.max(0, Math.min(max, n)) });
    switch (action) {
      case 'up':
        return to(at - 1);
      case 'down':
        return to(at + 1);
      case 'pageUp':
        return to(at - page);
      case 'pageDown':
        return to(at + page);
      case 'top':
        return to(0);
      case 'bottom':
        return to(max);
      case 'help':
      case 'back':
      case 'open':
        return this.store.dispatch({ type: 'help', show: false });
      default:
        return;
    }
  }

  quit(): void {
    if (this.applying) {
      this.say('a transaction is open: quitting is refused until it commits or rolls back', 'bad');
      return;
    }
    this.onQuit();
  }

  private moveCursor(to: (index: number, length: number) => number): void {
    const list = visibleItems(this.s);
    if (!list.length) return;
    const i = Math.max(0, Math.min(list.length - 1, to(cursorIndex(this.s, list), list.length)));
    this.store.dispatch({ type: 'cursor', id: list[i]!.id });
  }

  private shared(action: KeyAction): boolean {
    const id = this.currentId();
    switch (action) {
      case 'mark':
        if (id) this.store.dispatch({ type: 'toggleMark', id });
        return true;
      case 'resolve':
        if (id) this.openResolve(id);
        return true;
      case 'edit':
        if (id) void this.edit(id);
        return true;
      case 'apply':
        this.openApply();
        return true;
      case 'export':
        void this.exportChecklist();
        return true;
      case 'approve':
      case 'skip':
      case 'note':
        if (id) this.openPrompt(id, action);
        return true;
      default:
        return false;
    }
  }

  private listCommand(action: KeyAction): void {
    const page = Math.max(1, this.metrics.listPage);
    switch (action) {
      case 'up':
        return this.moveCursor((i) => i - 1);
      case 'down':
        return this.moveCursor((i) => i + 1);
      case 'top':
        return this.moveCursor(() => 0);
      case 'bottom':
        return this.moveCursor((_, n) => n - 1);
      case 'pageUp':
        return this.moveCursor((i) => i - page);
      case 'pageDown':
        return this.moveCursor((i) => i + page);
      case 'open': {
        const id = this.currentId();
        if (id) this.openDetail(id);
        return;
      }
      case 'filter':
        return this.store.dispatch({ type: 'filtering', on: true });
      case 'sort':
        this.store.dispatch({ type: 'sort' });
        return this.say(`sorted by ${this.s.sort === 'plan' ? 'plan order' : this.s.sort}`);
      case 'markAll': {
        const skipped = new Set(this.s.findings.filter((f) => f.review?.status === 'skipped').map((f) => f.id));
        const runnable = (this.s.plan?.findings ?? []).filter((f) => (f.status === 'ready' || f.status === 'resolved') && !skipped.has(f.id)).map((f) => f.id);
        const all = runnable.length > 0 && runnable.every((id) => this.s.marked.includes(id));
        this.store.dispatch({ type: 'setMarks', ids: all ? [] : runnable });
        return this.say(all ? 'marks cleared' : `marked ${plural(runnable.length, 'ready or resolved finding')}`);
      }
      case 'back':
        // Esc never quits: a stray Esc must not end a review.
        if (this.s.filter) {
          this.store.dispatch({ type: 'filter', text: '' });
          return this.say('filter cleared');
        }
        return;
      default:
        this.shared(action);
    }
  }

  openDetail(id: string): void {
    const fp = this.findingPlan(id);
    if (!fp) return this.say(`${id}: still being checked — its detail opens when the engine has answered`);
    const pane: Pane = fp.status === 'blocked' || fp.status === 'resolved' ? 'rows' : fp.status === 'error' ? 'steps' : 'sql';
    this.store.dispatch({ type: 'openDetail', id, pane, context: maxContext(fp.diff) });
  }

  private detailCommand(action: KeyAction): void {
    const { scroll, context, id } = this.s.detail;
    const max = Math.max(0, this.metrics.detailLines - this.metrics.detailPage);
    const page = Math.max(1, this.metrics.detailPage - 1);
    const to = (n: number) => this.store.dispatch({ type: 'scroll', to: Math.max(0, Math.min(max, n)) });
    switch (action) {
      case 'up':
        return to(scroll - 1);
      case 'down':
        return to(scroll + 1);
      case 'top':
        return to(0);
      case 'bottom':
        return to(max);
      case 'pageUp':
        return to(scroll - page);
      case 'pageDown':
        return to(scroll + page);
      case 'nextPane':
        return this.store.dispatch({ type: 'pane', delta: 1 });
      case 'prevPane':
        return this.store.dispatch({ type: 'pane', delta: -1 });
      case 'moreContext':
      case 'lessContext': {
        const most = maxContext(this.findingPlan(id)?.diff ?? '');
        const next = Math.max(0, Math.min(most, context + (action === 'moreContext' ? 1 : -1)));
        this.store.dispatch({ type: 'context', to: next });
        return this.say(`diff context: ${plural(next, 'line')}${next === most ? ' (all the plan holds)' : ''}`);
      }
      case 'back':
        return this.store.dispatch({ type: 'screen', screen: 'list' });
      default:
        this.shared(action);
    }
  }

  // ---- resolve ------------------------------------------------------------------------------

  openResolve(id: string): void {
    if (!this.s.plan) return this.say('wait: the plan is still being built');
    const fp = this.findingPlan(id);
    if (!fp) return;
    if (this.s.busy[id]) return this.say(`${id} is being re-planned`);
    if (!fp.checks.some((c) => c.blocking && c.rows > 0)) return this.say(`${id} has no blocking rows to resolve`);
    this.store.dispatch({ type: 'openDetail', id, pane: 'rows', context: maxContext(fp.diff) });
    this.store.dispatch({ type: 'resolveOpen', resolve: { id, ...initialDraft(fp) } });
    this.schedulePreview(0);
  }

  private resolveCommand(action: KeyAction): void {
    const rs = this.s.resolve;
    const fp = rs && this.findingPlan(rs.id);
    if (!rs || !fp) return;
    const fields = fieldsFor(rs, fp);
    const field = fields[Math.min(rs.field, fields.length - 1)]!;
    switch (action) {
      case 'up':
      case 'down': {
        const next = (rs.field + (action === 'up' ? -1 : 1) + fields.length) % fields.length;
        // The values field is a text input: focusing it gives it the keyboard.
        return this.store.dispatch({ type: 'resolveUpdate', patch: { field: next, editing: fields[next] === 'set' } });
      }
      case 'left':
      case 'right': {
        const patch = cycle(rs, fp, field, action === 'left' ? -1 : 1);
        this.store.dispatch({ type: 'resolveUpdate', patch });
        return this.schedulePreview();
      }
      case 'open':
        return void this.chooseResolution();
      case 'back':
        clearTimeout(this.previewTimer);
        return this.store.dispatch({ type: 'resolveClose' });
      default:
        return;
    }
  }

  /** The set-values text input: typing updates the draft (and its preview). */
  setText(text: string): void {
    this.store.dispatch({ type: 'resolveUpdate', patch: { setText: text } });
    this.schedulePreview();
  }

  private schedulePreview(delay = PREVIEW_DEBOUNCE_MS): void {
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => void this.preview(), delay);
  }

  /** Recounts and samples the rows the draft would change (read-only; rolled back). */
  async preview(): Promise<void> {
    const rs = this.s.resolve;
    const finding = rs && this.s.findings.find((f) => f.id === rs.id);
    if (!rs || !finding) return;
    const draft = draftResolution(rs);
    if (!draft.ok) {
      this.store.dispatch({ type: 'preview', preview: { key: JSON.stringify(rs), status: 'error', error: draft.error } });
      return;
    }
    const key = JSON.stringify(draft.resolution);
    if (rs.preview?.key === key && rs.preview.status !== 'error') return;
    this.store.dispatch({ type: 'preview', preview: { key, status: 'loading' } });
    try {
      const result = await this.services.previewResolution(finding, draft.resolution);
      this.store.dispatch({ type: 'preview', preview: { key, status: 'ok', result } });
    } catch (e) {
      this.store.dispatch({ type: 'preview', preview: { key, status: 'error', error: errorMessage(e) } });
    }
  }

  /** Enter on the resolve panel: the previewed resolution becomes the finding's, and it is re-planned. */
  async chooseResolution(): Promise<void> {
    const rs = this.s.resolve;
    const finding = rs && this.s.findings.find((f) => f.id === rs.id);
    if (!rs || !finding) return;
    const draft = draftResolution(rs);
    if (!draft.ok) return this.say(draft.error, 'bad');
    const p = rs.preview;
    if (!p || p.key !== JSON.stringify(draft.resolution) || p.status === 'loading') return this.say('wait for the preview: see the rows before choosing');
    if (p.status === 'error' || !p.result) return this.say(`cannot choose this resolution: ${p.error ?? 'no preview'}`, 'bad');
    clearTimeout(this.previewTimer);
    const { after: _after, ...preview } = p.result;
    this.store.dispatch({ type: 'resolveClose' });
    const next = { ...finding, resolution: draft.resolution };
    await this.save(finding, next);
    await this.replan(next, preview);
  }

  // ---- apply --------------------------------------------------------------------------------

  openApply(): void {
    const s = this.s;
    if (!s.plan || s.loading.running) return this.say('wait: the plan is still being built');
    if (Object.keys(s.busy).length) return this.say(`wait: ${Object.keys(s.busy).join(', ')} is being re-planned`);
    const cur = this.currentId();
    const chosen = s.marked.length ? s.marked : cur ? [cur] : [];
    const inPlan = s.plan.findings.filter((f) => chosen.includes(f.id));
    const signedSkip = (id: string) => this.s.findings.find((f) => f.id === id)?.review?.status === 'skipped';
    const ids = inPlan.filter((f) => (f.status === 'ready' || f.status === 'resolved') && !signedSkip(f.id)).map((f) => f.id);
    const skipped = inPlan
      .filter((f) => !ids.includes(f.id))
      .map((f) => ({ id: f.id, reason: signedSkip(f.id) ? 'signed off as skipped' : skipReason(f) }));
    if (!ids.length) {
      const why = skipped.map((x) => `${x.id} ${x.reason}`).join('; ');
      return this.say(`nothing to apply${why ? `: ${why}` : ''} — mark ready or resolved findings with Space`, 'bad');
    }
    this.store.dispatch({ type: 'applyOpen', ids, skipped });
  }

  private applyCommand(action: KeyAction): void {
    const ap = this.s.apply;
    if (!ap) return;
    if (ap.phase === 'done' && (action === 'open' || action === 'back')) return this.closeApply();
    if (ap.phase === 'confirm' && action === 'back') return this.cancelApply();
  }

  /** Scrolls the batch shown in the apply confirmation. */
  scrollApply(delta: number): void {
    const ap = this.s.apply;
    if (!ap || ap.phase !== 'confirm') return;
    const max = Math.max(0, this.metrics.applyLines - this.metrics.applyPage);
    this.store.dispatch({ type: 'applyScroll', to: Math.max(0, Math.min(max, (ap.scroll ?? 0) + delta)) });
  }

  cancelApply(): void {
    this.store.dispatch({ type: 'applyClose' });
    this.say('cancelled — nothing was changed');
  }

  /** The typed confirmation: the exact database name runs the apply; anything else cancels. */
  async confirmApply(typed: string): Promise<void> {
    const s = this.s;
    const ap = s.apply;
    if (!ap || ap.phase !== 'confirm' || !s.plan) return;
    if (typed !== this.services.databaseName) return this.cancelApply();
    const win = windowState(this.services.window, this.services.now());
    if (!win.inside) {
      this.store.dispatch({ type: 'applyClose' });
      return this.say(`refused: outside the maintenance window ${this.services.window.text} — nothing was changed`, 'bad');
    }
    this.applying = true;
    this.store.dispatch({ type: 'applyStarted' });
    let result: ApplyResult;
    try {
      result = await this.services.applyPlan(s.plan, ap.ids, (e) => this.onApplyEvent(e));
    } catch (e) {
      result = { runId: null, status: 'failed', rowsChanged: 0, findings: [], error: errorMessage(e), rolledBack: true };
    } finally {
      this.applying = false;
    }
    this.store.dispatch({ type: 'applyDone', result });
  }

  private onApplyEvent(e: ApplyEvent): void {
    this.store.dispatch({ type: 'applyEvent', event: e });
    if (e.kind === 'step' && e.status !== 'running') this.store.dispatch({ type: 'log', lines: [stepLine(e)] });
  }

  /** After the result: back to the list, marks of applied findings dropped, the plan rebuilt. */
  closeApply(): void {
    const r = this.s.apply?.result;
    const applied = new Set(r?.findings.filter((f) => f.outcome === 'applied').map((f) => f.id) ?? []);
    // The result stays in the scrollback, above the list.
    if (r) this.store.dispatch({ type: 'log', lines: resultLines(r) });
    this.store.dispatch({ type: 'applyClose' });
    this.store.dispatch({ type: 'setMarks', ids: this.s.marked.filter((id) => !applied.has(id)) });
    if (r?.status === 'committed') {
      this.say(`run ${r.runId} committed — re-planning to show what is left`, 'ok');
      void this.planAll();
    }
  }

  // ---- export and edit ----------------------------------------------------------------------

  /** `x`: the checklist, the plan JSON (for `apply --plan`) and the psql script, side by side. */
  async exportChecklist(): Promise<void> {
    const plan = this.s.plan;
    if (!plan || this.s.loading.running) return this.say('wait: the plan is still being built');
    if (Object.keys(this.s.busy).length) return this.say(`wait: ${Object.keys(this.s.busy).join(', ')} is being re-planned`);
    try {
      const files = await this.services.exportPlanFiles(plan);
      const show = (f: string) => path.relative(process.cwd(), f) || f;
      const dir = path.dirname(show(files.checklist));
      const names = [files.checklist, files.plan, files.script].map((f) => path.basename(f));
      this.store.dispatch({
        type: 'log',
        lines: [
          [seg('✔ ', 'ok'), seg(`exported (${statusSummary(plan)}) to ${dir}/:`)],
          [seg(`  ${names[0]}  checklist`)],
          [seg(`  ${names[1]}  plan: pgmend apply --plan ${show(files.plan)} --window …`)],
          [seg(`  ${names[2]}  psql script: psql -X -f ${show(files.script)}`)],
        ],
      });
      this.say(`✔ exported checklist, plan JSON and psql script: ${names[0]!.replace(/\.md$/, '')}.{md,json,sql}`, 'ok');
    } catch (e) {
      this.say(`could not export: ${errorMessage(e)}`, 'bad');
    }
  }

  /** `e`: the finding in $EDITOR; on return re-parsed, re-validated and re-planned. */
  async edit(id: string, again = false): Promise<void> {
    const s = this.s;
    if (!s.plan || s.loading.running) return this.say('wait: the plan is still being built');
    if (s.busy[id]) return this.say(`${id} is being re-planned`);
    const finding = s.findings.find((f) => f.id === id);
    if (!finding) return;
    const before = again && s.editError?.id === id ? s.editError.text : findingYaml(finding);
    this.store.dispatch({ type: 'editError' });
    let text: string;
    try {
      text = await this.services.editText(before, `${id}.yaml`);
    } catch (e) {
      return this.say(errorMessage(e), 'bad');
    }
    if (text === findingYaml(finding)) return this.say(`${id}: unchanged`);
    let parsed: Finding;
    try {
      const found = this.services.parseFindings(text, `${id}.yaml`);
      if (found.length !== 1) throw new Error(`${id}.yaml: expected exactly one finding, found ${found.length}`);
      parsed = found[0]!;
      if (parsed.id !== id) throw new Error(`${id}.yaml: the id changed to ${parsed.id}; keep ${id} (add new findings to the findings file)`);
    } catch (e) {
      this.store.dispatch({ type: 'editError', error: { id, message: errorMessage(e), text } });
      return;
    }
    // The sign-off is the session's, not the editor's: kept unless the edit wrote its own.
    const next = parsed.review || !finding.review ? parsed : { ...parsed, review: finding.review };
    await this.save(finding, next);
    await this.replan(next);
  }

  // ---- decisions saved in the findings file ---------------------------------------------------

  /** Writes a decision into the findings file; a failed write is said, and the session keeps it. */
  async save(before: Finding, after: Finding): Promise<boolean> {
    try {
      await this.services.saveFinding(before, after);
      return true;
    } catch (e) {
      const file = this.services.findingsFile ? path.basename(this.services.findingsFile) : 'the findings file';
      this.say(`${after.id}: could not save to ${file}: ${errorMessage(e)} — kept in this session only`, 'bad');
      return false;
    }
  }

  /** `v` / `w` / `n`: the note prompt of a sign-off. */
  openPrompt(id: string, action: 'approve' | 'skip' | 'note'): void {
    const finding = this.s.findings.find((f) => f.id === id);
    if (!finding) return;
    if (action === 'note' && !finding.review) return this.say(`${id} has no sign-off yet: v approves, w skips (each asks for a note)`);
    const kind = action === 'approve' ? 'approved' : action === 'skip' ? 'skipped' : 'note';
    this.store.dispatch({ type: 'prompt', prompt: { id, kind, initial: finding.review?.note ?? '' } });
  }

  cancelPrompt(): void {
    this.store.dispatch({ type: 'prompt' });
    this.say('no sign-off written');
  }

  /** Enter on the note prompt: the sign-off (who, when, note) goes into the findings file. */
  async submitPrompt(text: string): Promise<void> {
    const p = this.s.prompt;
    this.store.dispatch({ type: 'prompt' });
    const finding = p && this.s.findings.find((f) => f.id === p.id);
    if (!p || !finding) return;
    const note = text.trim();
    const base = p.kind === 'note' ? finding.review! : { status: p.kind, by: this.services.reviewer, at: isoSeconds(this.services.now()) };
    const { note: _old, ...rest } = base;
    const review: Review = note ? { ...rest, note } : rest;
    const next: Finding = { ...finding, review };
    this.store.dispatch({ type: 'findingChanged', finding: next });
    if (!(await this.save(finding, next))) return;
    const where = this.services.findingsFile ? ` — saved in ${path.basename(this.services.findingsFile)}` : '';
    this.say(p.kind === 'note' ? `${p.id}: note saved${where}` : `${p.id} ${review.status} by ${review.by}${where}`, 'ok');
    if (p.kind === 'skipped' && this.s.marked.includes(p.id)) this.store.dispatch({ type: 'toggleMark', id: p.id });
  }

  dismissEditError(): void {
    this.store.dispatch({ type: 'editError' });
    this.say('edit discarded: the finding is unchanged');
  }
}
