import { afterAll, beforeAll, describe, it } from 'vitest';
import { createTestDb } from '../../support/db.js';
import { SHOP_SQL } from '../../support/apply-shop.js';
import { makeTemplate } from '../../support/apply-helpers.js';
import { prepareMatrix, injectOne, expectPointsComplete, summarize, type Matrix, type Outcome } from './fault-matrix.js';
import { recordSection, type SectionId } from './figures.js';
import type { Mode } from '../../../src/engine/plan/plan-model.js';

/**
 * One sweep: the shop's three findings applied in `mode`, and at every point of the run the
 * backend terminated or the pgmend process SIGKILLed, each on a fresh copy of the database.
 * `injectOne` asserts each outcome; the caller adds what must hold over the whole sweep.
 */
export function faultSweep(opts: {
  mode: Mode;
  section: { id: SectionId; title: string; describe: (m: Matrix | undefined, injected: number, outcomes: Outcome[]) => string };
  name: string;
  testName: string;
  afterSweep: (m: Matrix, outcomes: Outcome[], fault: 'terminate' | 'sigkill') => void;
}): void {
  let template: Awaited<ReturnType<typeof makeTemplate>>;
  let m: Matrix;
  const outcomes: Outcome[] = [];
  // Counted apart from the outcomes: a fault that left the data damaged fails before its outcome.
  let injected = 0;

  beforeAll(async () => {
    template = await makeTemplate(SHOP_SQL);
    m = await prepareMatrix(opts.mode, () => createTestDb(template.name));
  }, 120_000);

  afterAll(async () => {
    await recordSection({
      id: opts.section.id,
      title: opts.section.title,
      headline: { faultsInjected: injected, runsIntact: outcomes.length },
      lines: [opts.section.describe(m, injected, outcomes), '', ...(m ? summarize(m, outcomes) : [])],
    });
    await m?.remove();
    await template?.drop();
  });

  describe(opts.name, () => {
    it('the seam passes exactly the listed points', async () => {
      const db = await createTestDb(template.name);
      try {
        await expectPointsComplete(m, db);
      } finally {
        await db.drop();
      }
    });

    it.each(['terminate', 'sigkill'] as const)(opts.testName, async (fault) => {
      for (const point of m.points) {
        const db = await createTestDb(template.name);
        try {
          injected++;
          outcomes.push(await injectOne(m, db, point, fault));
        } finally {
          await db.drop();
        }
      }
      opts.afterSweep(m, outcomes, fault);
    }, 600_000);
  });
}
