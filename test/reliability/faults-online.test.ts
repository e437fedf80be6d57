import { expect } from 'vitest';
import { faultSweep } from './support/fault-sweep.js';

/**
 * Online mode under faults: every step commits on its own, so a fault leaves a run half-way —
 * which `apply --resume RUN` must complete to exactly the state an uninterrupted run reaches, with
 * no invalid index and no unvalidated constraint left behind. A fault before the run is journaled
 * changes nothing, and a new apply goes through.
 */
faultSweep({
  mode: 'online',
  section: {
    id: 'faults-online',
    title: 'Faults during an online-mode apply',
    describe: (m, injected, outcomes) => {
      const resumed = outcomes.filter((o) => o.resumed).length;
      return `${injected} faults injected, ${outcomes.length} runs left intact: ${resumed} left a journaled run that \`apply --resume\` completed to the uninterrupted end state (checksums), with no invalid index or unvalidated constraint left; ${outcomes.length - resumed} stopped before the run was journaled, changed nothing, and a new apply committed. Findings: ${m?.plan.findings.map((f) => f.id).join(', ')} (${m?.points.length ?? 0} points; the index is built CONCURRENTLY, the constraints added NOT VALID then validated).`;
    },
  },
  name: 'online mode: a fault at every point leaves a run that resumes to completion',
  testName: '%s at every point, then --resume',
  // Only the advisory lock comes before the run is journaled.
  afterSweep: (_m, outcomes, fault) => expect(outcomes.filter((o) => o.fault === fault && !o.resumed).map((o) => o.point)).toEqual(['after-lock']),
});
