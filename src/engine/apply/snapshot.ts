import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plan } from '../plan/plan-model.js';
import { flatPlan } from '../plan/steps.js';
import type { Catalog } from '../../db/catalog.js';
import { schemaDdl } from '../../db/ddl.js';

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

/** The snapshot an apply writes before its first change: the plan, the DDL and the catalog of the tables it touches. */
export function snapshotBeforeChange(opts: { snapshotDir?: string; plan: Plan }, catalog: Catalog, tables: string[]): Promise<string> {
  return writeSnapshot(opts.snapshotDir, { plan: flatPlan(opts.plan), tables, ddl: schemaDdl(catalog, tables), catalog: subsetCatalog(catalog, tables) });
}

export function subsetCatalog(catalog: Catalog, tables: string[]): Partial<Catalog> {
  const set = new Set(tables);
  const oids = new Set(catalog.tables.filter((t) => set.has(t.qualified)).map((t) => t.oid));
  return {
    server: catalog.server,
    tables: catalog.tables.filter((t) => oids.has(t.oid)),
    constraints: catalog.constraints.filter((c) => oids.has(c.tableOid)),
    indexes: catalog.indexes.filter((i) => oids.has(i.tableOid)),
    triggers: catalog.triggers.filter((t) => oids.has(t.tableOid)),
  };
}
