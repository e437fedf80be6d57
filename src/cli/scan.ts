import { Option, type Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { action } from './run.js';
import { dbOption, positiveInt } from './options.js';
import { describe, resolveTarget } from '../db/connection.js';
import {
  PLAN_DEFAULTS,
  scanDatabase,
  renderScan,
  DEFAULT_THRESHOLDS,
  type ScanEvent,
  type ScanResult,
  type ScanThresholds,
} from '../engine/index.js';
import { PgmendError, UsageError } from '../util/errors.js';

export interface ScanArgs {
  db?: string;
  schema?: string[];
  out?: string;
  format: 'yaml' | 'json';
  statementTimeout: string;
  [threshold: string]: unknown;
}

/** Threshold options: `--implied-fk-min-match 0.8` … (camelCase key → kebab-case flag). */
const flag = (key: string) => '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
const FRACTIONS = new Set<keyof ScanThresholds>(['impliedFkMinMatch', 'counterNamedMinMatch', 'counterMinMatch', 'enumRareShare', 'uniqueMinRatio']);

export function scanOptions(cmd: Command): Command {
  cmd.option('--statement-timeout <ms>', 'statement_timeout of each read, ms', String(PLAN_DEFAULTS.statementTimeoutMs));
  for (const [key, value] of Object.entries(DEFAULT_THRESHOLDS)) cmd.option(`${flag(key)} <${FRACTIONS.has(key as keyof ScanThresholds) ? 'share' : 'n'}>`, `rule threshold (README "pgmend scan")`, String(value));
  return cmd;
}

/** Threshold arguments at their defaults (for `review --scan`). */
export function scanDefaults(): Record<string, string> {
  return Object.fromEntries(Object.entries(DEFAULT_THRESHOLDS).map(([k, v]) => [k, String(v)]));
}

export function scanThresholds(args: Record<string, unknown>): ScanThresholds {
  const out = { ...DEFAULT_THRESHOLDS };
  for (const key of Object.keys(DEFAULT_THRESHOLDS) as (keyof ScanThresholds)[]) {
    const raw = String(args[key] ?? out[key]);
    if (FRACTIONS.has(key)) {
      const n = Number(raw);
      if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`${flag(key)}: expected a share between 0 and 1, got "${raw}"`);
      out[key] = n;
    } else out[key] = positiveInt(raw, flag(key), 1);
  }
  return out;
}

/** Per-table progress on stderr: one line rewritten on a terminal, a line per table otherwise. */
export function scanProgress(out: NodeJS.WriteStream) {
  const tty = Boolean(out.isTTY);
  return (e: ScanEvent) => {
    if (e.kind !== 'table') return;
    const text = `pgmend: scan ${e.index}/${e.total} ${e.table}${e.sampled ? ' (sampled)' : ''}`;
    out.write(tty ? `\r\x1b[2K${text}` : text + '\n');
  };
}

export async function runScan(args: ScanArgs): Promise<{ result: ScanResult; database: string }> {
  const target = resolveTarget(args.db);
  const started = performance.now();
  const result = await scanDatabase({
    target,
    ...(args.schema ? { schemas: args.schema } : {}),
    statementTimeoutMs: positiveInt(args.statementTimeout, '--statement-timeout', 1),
    thresholds: scanThresholds(args),
    onEvent: scanProgress(process.stderr),
  });
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
  for (const n of result.notes) process.stderr.write(`pgmend: note: ${n.message}\n`);
  process.stderr.write(`pgmend: scan found ${result.findings.length} finding(s) in ${result.reads.length} table read(s) (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  return { result, database: describe(target) };
}

/** `pgmend scan`: catalog + data → a findings file, read-only. */
export function registerScan(program: Command): void {
  const cmd = program
    .command('scan')
    .description('read the catalog and the data (read-only) and write a findings file of what is wrong, each with its evidence')
    .option('--schema <schema...>', 'schemas to scan (default: every user schema)')
    .option('--out <file>', 'write the findings to FILE instead of stdout')
    .addOption(new Option('--format <format>', 'findings file format').choices(['yaml', 'json']).default('yaml'));
  dbOption(cmd);
  scanOptions(cmd);
  cmd.action(
    action(async (args: ScanArgs) => {
      const { result, database } = await runScan(args);
      const text = renderScan(result, args.format, database);
      if (args.out) {
        try {
          await writeFile(args.out, text);
        } catch (e) {
          throw new PgmendError(`cannot write ${args.out}: ${(e as Error).message}`);
        }
        process.stderr.write(`pgmend: wrote ${args.out}\n`);
      } else process.stdout.write(text);
      return 0;
    }),
  );
}
