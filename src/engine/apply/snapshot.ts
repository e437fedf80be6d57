import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plan } from '../plan/plan-model.js';

/** Schema snapshots of the touched tables, written before anything changes (snapshots/ is gitignored). */
export const DEFAULT_SNAPSHOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../snapshots'); // dist/engine/apply/ → the checkout

export async function writeSnapshot(dir: string | undefined, data: { plan: Plan; tables: string[]; ddl: string; catalog: unknown }): Promise<string> {
  const target = dir ?? DEFAULT_SNAPSHOT_DIR;
  await mkdir(target, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.join(target, `${stamp}-${data.plan.id}.json`);
  const body = {
    takenAt: new Date().toISOString(),
    planId: data.plan.id,
    fingerprint: data.plan.fingerprint,
    database: data.plan.database,
    tables: data.tables,
    ddl: data.ddl,
    catalog: data.catalog,
  };
  await writeFile(file, JSON.stringify(body, null, 2) + '\n');
  return file;
}
