import type { Command } from 'commander';
import { registerPlan } from './plan.js';
import { registerDemo } from './demo.js';
import { registerApply } from './apply.js';
import { registerJournal } from './journal.js';
import { registerRollback } from './rollback.js';
import { registerImport } from './import.js';
import { registerReview } from './review.js';
import { registerScan } from './scan.js';

/** Every command registers itself from its own file (src/cli/<command>.ts). */
export function registerCommands(program: Command): void {
  registerDemo(program);
  registerPlan(program);
  registerApply(program);
  registerJournal(program);
  registerRollback(program);
  registerImport(program);
  registerReview(program);
  registerScan(program);
}
