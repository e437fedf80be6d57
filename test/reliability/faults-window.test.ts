import { expect } from 'vitest';
import { faultSweep } from './support/fault-sweep.js';

/**
 * Window mode under faults: at every point of the run — after the advisory lock, after the schema
 * snapshot, after the first backup, after each step, before COMMIT — the backend terminated
 * (pg_terminate_backend) or the pgmend process killed (SIGKILL). The database is then exactly as
 * before the run, the journal shows a failed run or none, and a new apply succeeds.
 * (Server restarts: faults-restart.test.ts, on a server of its own.)
 */
faultSweep({
  mode: 'window',
  section: {
    id: 'faults-window',
    title: 'Faults during a window-mode apply',
    describe: (m, injected, outcomes) =>
      `${injected} faults injected, ${outcomes.length} runs left intact: after each, the schema and row checksums equal those before the run, the journal shows the run failed or never started, no backup table is left, and a new apply of the same plan commits and ends exactly where an uninterrupted run ends. Findings: ${m?.plan.findings.map((f) => f.id).join(', ')} (one transaction, ${m?.points.length ?? 0} points).`,
  },
  name: 'window mode: a fault at every point leaves the database as it was',
  testName: '%s at every point',
  afterSweep: (m, outcomes, fault) => expect(outcomes.filter((o) => o.fault === fault)).toHaveLength(m.points.length),
});
