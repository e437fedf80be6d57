/**
 * TEST-ONLY seam for the reliability suite (test/reliability/): inert unless PGMEND_FAULT is set.
 *
 * With PGMEND_FAULT=<point>, apply pauses when it reaches that point, writes one line
 * `pgmend-fault: paused at <point>` to stderr and waits for SIGCONT (or 2 minutes), so a test can
 * terminate its backend, SIGKILL the process or restart the server at exactly that moment.
 *
 * Points: `after-lock` (pgmend's advisory lock taken), `after-snapshot` (schema snapshot written,
 * run journaled), `after-backup` (the first rows copied into a backup table), `after-step:N` (the
 * Nth step of the run done; online mode: committed), `before-commit` (everything done but the
 * final COMMIT).
 */
export type FaultPoint = 'after-lock' | 'after-snapshot' | 'after-backup' | `after-step:${number}` | 'before-commit';

const PAUSE_LIMIT_MS = 120_000;

export async function faultPoint(point: FaultPoint): Promise<void> {
  const armed = process.env.PGMEND_FAULT;
  if (!armed || armed !== point) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, PAUSE_LIMIT_MS);
    process.once('SIGCONT', () => {
      clearTimeout(timer);
      resolve();
    });
    // Only once the handler is in place: a test may answer at once.
    process.stderr.write(`pgmend-fault: paused at ${point}\n`);
  });
}

/** Counts steps for `after-step:N`; `after-backup` fires once, at the first backup. */
export function faultCounter(): { stepDone: (backedUp: boolean) => Promise<void> } {
  let steps = 0;
  let backedUp = false;
  return {
    stepDone: async (backup) => {
      if (backup && !backedUp) {
        backedUp = true;
        await faultPoint('after-backup');
      }
      await faultPoint(`after-step:${++steps}`);
    },
  };
}
