import type pg from 'pg';
import { connect } from '../../db/session.js';
import type { DbTarget } from '../../db/connection.js';
import { expressionsOf, mayHaveExpressions, refuseVolatileExpressions } from '../checks/expression-safety.js';
import type { Finding } from '../../findings/model.js';
import type { PlaybookSet } from '../../playbooks/load.js';
import type { PreparedFinding } from './prepare.js';

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
const settle = <T>(p: Promise<T>): Promise<Settled<T>> => p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));

/**
 * The check that findings' expressions call nothing VOLATILE (expression-safety.ts), on a
 * connection of its own — the plan's snapshot is read-only, the probe defines temporary views — and
 * started as soon as the findings are prepared, so it runs while the plan's connection locks the
 * tables and takes its snapshot instead of after. Started again when the findings are prepared
 * again (the schema changed meanwhile): the last start is what `refused()` answers for.
 */
export class VolatilityProbe {
  private client: Promise<Settled<pg.Client>> | undefined;
  private running: Promise<Settled<Map<string, string>>> | undefined;
  private probed: readonly PreparedFinding[] = [];

  constructor(private readonly opts: { target: DbTarget; lockTimeoutMs: number; statementTimeoutMs: number }) {}

  /** Opens the probe's connection now, while the catalog is read, if any finding may need it. */
  connectEarly(findings: readonly Finding[], playbooks: PlaybookSet): void {
    if (findings.some((f) => mayHaveExpressions(f, playbooks.get(f.playbook)))) this.client ??= settle(connect(this.opts.target, 'pgmend'));
  }

  /** Probes these findings' expressions (a copy of the list is taken: the caller's may change). */
  start(prepared: readonly PreparedFinding[]): void {
    const list = [...prepared];
    this.probed = list;
    if (!list.some((p) => p.target && expressionsOf(p).length > 0)) {
      this.running = Promise.resolve({ ok: true, value: new Map() });
      return;
    }
    this.client ??= settle(connect(this.opts.target, 'pgmend'));
    const previous = this.running ?? Promise.resolve(undefined);
    // One connection, one probe at a time: a second start waits for the first to end.
    this.running = settle(
      previous.then(async () => {
        const c = await this.client!;
        if (!c.ok) throw c.error;
        return refuseVolatileExpressions(c.value, list, this.opts);
      }),
    );
  }

  /**
   * Finding id → why its expressions are refused, of these findings; throws what the probe threw.
   * Probed again, alone, when the started list held others: a finding failed since because another
   * session holds its table, whose probe would meet that lock and decide the rest by name.
   */
  async refused(prepared: readonly PreparedFinding[]): Promise<Map<string, string>> {
    const current = new Set(prepared);
    if (!this.running || this.probed.some((p) => !current.has(p))) this.start(prepared);
    const r = await this.running!;
    if (!r.ok) throw r.error;
    return r.value;
  }

  /** Waits for a running probe, then closes its connection. Never throws. */
  async close(): Promise<void> {
    await this.running;
    const c = await this.client;
    if (c?.ok) await c.value.end().catch(() => {});
  }
}
