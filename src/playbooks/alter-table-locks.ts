import type { LockMode } from './model.js';

/**
 * ALTER TABLE takes a lock per subcommand (the strongest of them when there are several), as the
 * ALTER TABLE page of PostgreSQL's documentation gives it: most take ACCESS EXCLUSIVE; the ones
 * that only touch statistics, storage parameters or validation take SHARE UPDATE EXCLUSIVE; adding a
 * foreign key and enabling or disabling triggers take SHARE ROW EXCLUSIVE.
 */

type N = Record<string, any>; // parse-tree nodes are plain JSON

export interface AlterEffect {
  mode: LockMode;
  /** The subcommand recurses to the partitions of a partitioned table. */
  recurse: boolean;
  transactional: boolean;
  /** ATTACH / DETACH PARTITION: the lock on the partition named. */
  partitionMode?: LockMode;
}

const SHARE_UPDATE_EXCLUSIVE = new Set(['AT_SetStatistics', 'AT_SetOptions', 'AT_ResetOptions', 'AT_ClusterOn', 'AT_DropCluster', 'AT_ValidateConstraint']);

const TRIGGER_SWITCHES = new Set([
  'AT_EnableTrig', 'AT_EnableAlwaysTrig', 'AT_EnableReplicaTrig', 'AT_EnableTrigAll', 'AT_EnableTrigUser',
  'AT_DisableTrig', 'AT_DisableTrigAll', 'AT_DisableTrigUser',
]);

/** Subcommands that do not recurse to partitions. */
const TABLE_ONLY = new Set(['AT_EnableRowSecurity', 'AT_DisableRowSecurity', 'AT_ForceRowSecurity', 'AT_NoForceRowSecurity', 'AT_ClusterOn', 'AT_DropCluster']);

/** Storage parameters whose change takes SHARE UPDATE EXCLUSIVE (the rest ACCESS EXCLUSIVE). */
const LIGHT_RELOPTIONS = /^(fillfactor|deduplicate_items|toast_tuple_target|parallel_workers|vacuum_index_cleanup|vacuum_truncate|log_autovacuum_min_duration|(toast\.)?autovacuum_\w+|toast\.vacuum_\w+)$/;

export function alterTableCommand(cmd: N, on: { index: boolean; view: boolean }): AlterEffect {
  const sub = cmd.subtype as string;
  const recurse = !TABLE_ONLY.has(sub);
  if (on.view) return { mode: 'ACCESS EXCLUSIVE', recurse: false, transactional: true };
  if (SHARE_UPDATE_EXCLUSIVE.has(sub)) return { mode: 'SHARE UPDATE EXCLUSIVE', recurse, transactional: true };
  if (TRIGGER_SWITCHES.has(sub)) return { mode: 'SHARE ROW EXCLUSIVE', recurse, transactional: true };
  if (sub === 'AT_AddConstraint' && cmd.def?.Constraint?.contype === 'CONSTR_FOREIGN') return { mode: 'SHARE ROW EXCLUSIVE', recurse, transactional: true };
  if (sub === 'AT_SetRelOptions' || sub === 'AT_ResetRelOptions') {
    const names = ((cmd.def?.List?.items ?? []) as N[]).map((d) => [d.DefElem?.defnamespace, d.DefElem?.defname].filter(Boolean).join('.'));
    const light = names.length > 0 && names.every((n) => LIGHT_RELOPTIONS.test(n));
    return { mode: light ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE', recurse: false, transactional: true };
  }
  if (sub === 'AT_AttachPartition') return { mode: on.index ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE', recurse: false, transactional: true, partitionMode: 'ACCESS EXCLUSIVE' };
  if (sub === 'AT_DetachPartition') {
    const concurrent = cmd.def?.PartitionCmd?.concurrent === true;
    return concurrent
      ? { mode: 'SHARE UPDATE EXCLUSIVE', recurse: false, transactional: false, partitionMode: 'SHARE UPDATE EXCLUSIVE' }
      : { mode: 'ACCESS EXCLUSIVE', recurse: false, transactional: true, partitionMode: 'ACCESS EXCLUSIVE' };
  }
  if (sub === 'AT_DetachPartitionFinalize') return { mode: 'SHARE UPDATE EXCLUSIVE', recurse: false, transactional: true, partitionMode: 'ACCESS EXCLUSIVE' };
  return { mode: 'ACCESS EXCLUSIVE', recurse, transactional: true };
}
