import type { Command } from 'commander';
import { registerPlan } from './plan.js';
import { registerDemo } from './demo.js';

/** Every command registers itself from its own file (src/cli/<command>.ts). */
export function registerCommands(program: Command): void {
  registerDemo(program);
  registerPlan(program);
}
