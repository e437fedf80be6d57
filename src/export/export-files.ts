import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plan } from '../engine/index.js';
import { exportPlan, type ExportOptions } from './index.js';

/**
 * `x` in the review: what the window needs, side by side — the checklist (Markdown), the plan JSON
 * that `apply --plan` takes, and the psql script — named `pgmend-<database>-<plan id>-<time>` so
 * exports of different plans and times sit together. Nothing is ever overwritten: a name taken
 * (two exports in one second) gets `-2`, `-3`, ….
 */

export interface ExportedFiles {
  checklist: string;
  plan: string;
  script: string;
}

const stamp = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');

export function exportBaseName(plan: Plan, now: Date): string {
  const db = plan.database.name.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `pgmend-${db}-${plan.id}-${stamp(now)}`;
}

export async function writeExportFiles(plan: Plan, dir: string, opts: ExportOptions & { now: Date }): Promise<ExportedFiles> {
  await mkdir(dir, { recursive: true });
  const texts = { checklist: exportPlan(plan, 'md', opts), plan: exportPlan(plan, 'json', opts), script: exportPlan(plan, 'sql', opts) };
  const base = exportBaseName(plan, opts.now);
  for (let n = 1; n < 100; n++) {
    const name = n === 1 ? base : `${base}-${n}`;
    const files: ExportedFiles = { checklist: path.join(dir, `${name}.md`), plan: path.join(dir, `${name}.json`), script: path.join(dir, `${name}.sql`) };
    const written: string[] = [];
    try {
      for (const k of ['checklist', 'plan', 'script'] as const) {
        // `wx`: fails if the file exists — never overwrite an earlier export.
        await writeFile(files[k], texts[k], { flag: 'wx' });
        written.push(files[k]);
      }
      return files;
    } catch (e) {
      await Promise.all(written.map((f) => rm(f, { force: true })));
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new Error(`${dir}: 99 exports named ${base} already exist`);
}
