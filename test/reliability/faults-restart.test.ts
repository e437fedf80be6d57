import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOP_SQL } from '../support/apply-shop.js';
import { prepareMatrix, injectOne, summarize, type Matrix, type Outcome } from './support/fault-matrix.js';
import { startOwnServer, type OwnServer } from './support/own-server.js';
import { recordSection } from './support/figures.js';
import type { Mode } from '../../src/engine/plan/plan-model.js';

/**
 * The server restarted under a running apply, at every point of the run, in both modes: on a
 * PostgreSQL of this file's own (the shared test server serves other files meanwhile). Restarts
 * alternate between a fast shutdown (sessions terminated, clean checkpoint) and an immediate one
 * (a crash: WAL recovery on start). Same checks as faults-window / faults-online.
 */

let own: OwnServer;
let template: string;
const matrices = new Map<Mode, Matrix>();
const outcomes = new Map<Mode, Outcome[]>([['window', []], ['online', []]]);
const restarts = { fast: 0, immediate: 0 };
let injected = 0;

beforeAll(async () => {
  own = await startOwnServer();
  template = await own.template(SHOP_SQL);
  for (const mode of ['window', 'online'] as const) matrices.set(mode, await prepareMatrix(mode, () => own.clone(template)));
}, 180_000);

afterAll(async () => {
  const all = [...outcomes.values()].flat();
  const lines = [
    `${injected} server restarts under a running apply, ${all.length} runs left intact (${restarts.fast} fast shutdowns, ${restarts.immediate} immediate — crash — shutdowns with recovery on start), on a PostgreSQL ${matrices.get('window')?.plan.database.server ?? ''} of the test's own. Same checks as above: window mode exactly as before and a new apply commits; online mode resumed to the uninterrupted end state.`,
  ];
  for (const [mode, m] of matrices) lines.push('', `${mode} mode (restart: fast at even-numbered points, immediate at odd ones):`, '', ...summarize(m, outcomes.get(mode)!));
  await recordSection({ id: 'faults-restart', title: 'Server restarts during an apply', headline: { faultsInjected: injected, runsIntact: all.length }, lines });
  for (const m of matrices.values()) await m.remove();
  await own?.stop();
});

describe('the server restarts under a running apply', () => {
  it.each(['window', 'online'] as const)('%s mode: a restart at every point', async (mode) => {
    const m = matrices.get(mode)!;
    for (const [i, point] of m.points.entries()) {
      const kind = i % 2 === 0 ? 'fast' : 'immediate';
      const db = await own.clone(template);
      try {
        injected++;
        outcomes.get(mode)!.push(
          await injectOne(m, db, point, 'restart', async () => {
            restarts[kind]++;
            await own.server.restart!(kind);
          }),
        );
      } finally {
        await db.drop();
      }
    }
    expect(outcomes.get(mode)).toHaveLength(m.points.length);
  }, 600_000);
});
