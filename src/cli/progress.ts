import type { PlanEvent, Plan } from '../engine/index.js';
import { statusSummary } from '../export/summary.js';

/**
 * Progress of a long plan on stderr, so stdout stays the clean export. A terminal gets one line
 * rewritten in place; a pipe or CI log gets a line per phase.
 */
export function progressReporter(out: NodeJS.WriteStream) {
  const tty = Boolean(out.isTTY);
  const started = performance.now();
  let phase = '';
  let total = 0;
  let done = 0;
  const line = (text: string) => {
    if (tty) out.write(`\r\x1b[2K${text}`);
    else out.write(text + '\n');
  };
  return {
    onEvent(e: PlanEvent) {
      if (e.kind === 'phase') {
        if (e.phase === 'done') return;
        phase = e.phase;
        total = e.total ?? 0;
        done = 0;
        line(`pgmend: ${phase}${total ? ` 0/${total}` : ''}…`);
      } else if (tty && e.kind === 'finding') {
        done++;
        line(`pgmend: ${phase} ${done}/${total} ${e.id}`);
      }
    },
    done(plan: Plan) {
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      if (tty) out.write('\r\x1b[2K');
      out.write(`pgmend: ${statusSummary(plan)} (${secs} s)\n`);
    },
  };
}
