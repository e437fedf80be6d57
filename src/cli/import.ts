import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { importReport } from '../findings/import/import-report.js';
import { OUTPUT_FORMATS, renderFindings, type OutputFormat } from '../findings/import/output.js';
import { formatSummary } from '../findings/import/summary.js';
import { PgmendError, UsageError } from '../util/errors.js';
import { action } from './run.js';

interface ImportOptions {
  format: string;
  out?: string;
}

/** `pgmend import REPORT.md [--format yaml|json] [--out FILE]`: audit report → findings file. */
export function registerImport(program: Command): void {
  program
    .command('import')
    .description('turn an audit report (Markdown with SQL blocks) into a findings file')
    .argument('<REPORT.md>', 'the audit report')
    .option('--format <format>', `output format: ${OUTPUT_FORMATS.join(' or ')}`, 'yaml')
    .option('--out <file>', 'write the findings to FILE instead of stdout')
    .action(action((report: string, options: ImportOptions) => runImport(report, options)));
}

export async function runImport(report: string, options: ImportOptions): Promise<number> {
  const format = outputFormat(options.format);
  const markdown = await readReport(report);
  const { findings, summary } = await importReport(markdown, report);
  if (findings.length === 0) {
    // Nothing to review: say why instead of writing an empty findings file.
    const first = summary.parseErrors[0];
    const shown = summary.illustrations[0];
    const why = first
      ? `${summary.parseErrors.length} SQL statement(s) failed to parse (line ${first.line}: ${first.message})`
      : shown
        ? `its SQL is shown as examples, not as fixes (${summary.illustrations.length} block(s); line ${shown.line}: ${shown.why})`
        : 'it has no SQL that changes the schema or data';
    throw new PgmendError(`${report}: no findings imported: ${why}`, 1, first ? 'fix the SQL in the report, or write the findings file by hand' : 'give an audit report with SQL blocks, or write the findings file by hand');
  }
  const text = renderFindings(findings, format, report);
  if (options.out) {
    try {
      await writeFile(options.out, text);
    } catch (e) {
      throw new PgmendError(`cannot write ${options.out}: ${(e as { code?: string }).code === 'ENOENT' ? 'no such directory' : reason(e)}`);
    }
  } else {
    process.stdout.write(text);
  }
  process.stderr.write(formatSummary(summary) + (options.out ? `wrote ${options.out}\n` : ''));
  return 0;
}

function outputFormat(value: string): OutputFormat {
  const format = OUTPUT_FORMATS.find((f) => f === value.toLowerCase());
  if (!format) throw new UsageError(`--format: unknown format "${value}"`, `use ${OUTPUT_FORMATS.join(' or ')}`);
  return format;
}

/** The report as text; a missing, unreadable or binary file is a usage error. */
async function readReport(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${reason(e)}`);
  }
  if (bytes.includes(0)) throw new UsageError(`cannot read ${path}: not a text file`, 'give the Markdown audit report');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`cannot read ${path}: not UTF-8 text`, 'give the Markdown audit report');
  }
}

function reason(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return e instanceof Error ? e.message : String(e);
}
