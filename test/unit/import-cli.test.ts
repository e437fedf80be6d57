import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerImport } from '../../src/cli/import.js';
import { parseFindingsText } from '../../src/findings/load.js';
import { loadPlaybooks } from '../../src/playbooks/load.js';

/** `pgmend import` through commander and the shared action wrapper: output, summary, exit codes. */

let stdout = '';
let stderr = '';
const dir = mkdtempSync(join(tmpdir(), 'pgmend-import-'));
const SEED_002 = join(import.meta.dirname, '../seeds/002_094e4baf79b4cdb1.txt');

beforeEach(() => {
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<number> {
  const program = new Command('pgmend').exitOverride();
  registerImport(program);
  process.exitCode = undefined;
  await program.parseAsync(['node', 'pgmend', 'import', ...args]);
  return Number(process.exitCode ?? 0);
}

describe('pgmend import', () => {
  it('writes YAML to stdout and the summary to stderr', async () => {
    expect(await run(SEED_002)).toBe(0);
    expect(stdout).toMatch(/^# Imported by pgmend from 002_094e4baf79b4cdb1\.txt/);
    const findings = parseFindingsText(stdout, 'out.yaml', await loadPlaybooks());
    expect(findings.map((f) => f.playbook)).toEqual(['check', 'check', 'check', 'index', 'sql', 'sql']);
    expect(stderr).toMatch(/^imported 6 findings from 002_094e4baf79b4cdb1\.txt\n {2}index {2}1\n {2}check {2}3\n {2}sql {4}2\n/);
    expect(stderr).toMatch(/left as sql \(2\):/);
  });

  it('writes JSON to --out', async () => {
    const out = join(dir, 'findings.json');
    expect(await run(SEED_002, '--format', 'json', '--out', out)).toBe(0);
    expect(stdout).toBe('');
    const data = JSON.parse(readFileSync(out, 'utf8')) as { findings: { id: string }[] };
    expect(data.findings).toHaveLength(6);
    expect(stderr).toMatch(new RegExp(`wrote ${out}\\n$`));
  });

  it('refuses a missing file with one line, exit 2', async () => {
    expect(await run(join(dir, 'REPORT.md'))).toBe(2);
    expect(stderr).toBe(`pgmend: cannot read ${join(dir, 'REPORT.md')}: no such file\n`);
    expect(stdout).toBe('');
  });

  it('refuses a binary file, a directory and an unknown --format with exit 2', async () => {
    const binary = join(dir, 'report.bin');
    writeFileSync(binary, Buffer.from([0x23, 0x20, 0x00, 0xff, 0x01]));
    expect(await run(binary)).toBe(2);
    expect(stderr).toMatch(/^pgmend: cannot read .*report\.bin: not a text file/);
    stderr = '';
    expect(await run(dir)).toBe(2);
    expect(stderr).toMatch(/: is a directory\n$/);
    stderr = '';
    expect(await run(SEED_002, '--format', 'xml')).toBe(2);
    expect(stderr).toBe('pgmend: --format: unknown format "xml" — use yaml or json\n');
  });

  it('fails with exit 1 when --out cannot be written', async () => {
    expect(await run(SEED_002, '--out', join(dir, 'missing-dir', 'x.yaml'))).toBe(1);
    expect(stderr).toMatch(/^pgmend: cannot write .*x\.yaml: no such directory\n$/);
  });
});
