import { inject } from 'vitest';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * The figures of the reliability suite. Each test file records its section (a JSON file in a
 * directory of os.tmpdir() keyed by this run's server port, so parallel workers of one run share
 * it; global setup removes it at the end); once every section of the suite is there, the report is
 * rendered from them. It is written to docs/reliability.md only when asked
 * (`npm run test:reliability:update`, PGMEND_UPDATE_FIGURES=1): an ordinary test run changes no
 * tracked file. A run of some files only never overwrites the report with a partial one.
 */

export const SECTIONS = ['faults-window', 'faults-online', 'faults-restart', 'contention', 'stale-concurrency', 'bad-input', 'secrets', 'privileges'] as const;
export type SectionId = (typeof SECTIONS)[number];

export interface Headline {
  faultsInjected?: number;
  runsIntact?: number;
  badInputsTried?: number;
  badInputsHandled?: number;
  /** Longest time a concurrent writer was blocked behind pgmend, ms. */
  writerStallMs?: number;
  lockTimeoutMs?: number;
  secretPlacesChecked?: number;
  secretsLeaked?: number;
}

export interface Section {
  id: SectionId;
  title: string;
  headline: Headline;
  /** Markdown lines (a table or a list) describing what was measured. */
  lines: string[];
  server?: string;
}

export const REPORT = path.resolve(import.meta.dirname, '../../../docs/reliability.md');

export const figuresDir = (adminUrl: string) => path.join(os.tmpdir(), `pgmend-reliability-${new URL(adminUrl).port || 'default'}`);

const runDir = () => figuresDir(inject('adminUrl'));

/** Records one file's section; renders the report when every section of this run is in. */
export async function recordSection(section: Section): Promise<void> {
  const dir = runDir();
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${section.id}.json`), JSON.stringify(section, null, 2));
  const present = new Set((await readdir(dir)).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')));
  if (!SECTIONS.every((s) => present.has(s))) return;
  const sections = await Promise.all(SECTIONS.map(async (s) => JSON.parse(await readFile(path.join(dir, `${s}.json`), 'utf8')) as Section));
  const report = renderReport(sections);
  if (process.env.PGMEND_UPDATE_FIGURES === '1') {
    await mkdir(path.dirname(REPORT), { recursive: true });
    await writeFile(REPORT, report);
  }
  await rm(dir, { recursive: true, force: true });
}

const sum = (xs: (number | undefined)[]) => xs.reduce<number>((a, b) => a + (b ?? 0), 0);

export function renderReport(sections: Section[]): string {
  const h = sections.map((s) => s.headline);
  const stalls = h.filter((x) => x.writerStallMs !== undefined);
  const worst = stalls.reduce<Headline | undefined>((a, b) => (!a || b.writerStallMs! > a.writerStallMs! ? b : a), undefined);
  const server = sections.find((s) => s.server)?.server ?? 'unknown';
  const out = [
    '# Reliability and security figures',
    '',
    `Written by the reliability suite (\`npm run test:reliability:update\`, test/reliability/) on its last complete run that was asked to write it, against a real PostgreSQL ${server}. Every figure below is counted by the tests that assert it; a run that fails an assertion fails the suite.`,
    '',
    '| figure | value |',
    '|---|---|',
    `| faults injected / runs left intact | ${sum(h.map((x) => x.faultsInjected))} / ${sum(h.map((x) => x.runsIntact))} |`,
    `| bad inputs tried / handled cleanly | ${sum(h.map((x) => x.badInputsTried))} / ${sum(h.map((x) => x.badInputsHandled))} |`,
    `| longest writer stall observed | ${worst ? `${Math.round(worst.writerStallMs!)} ms (lock_timeout ${worst.lockTimeoutMs} ms)` : 'not measured'} |`,
    `| secrets leaked | ${sum(h.map((x) => x.secretsLeaked))} (in ${sum(h.map((x) => x.secretPlacesChecked))} outputs, files, journal rows, snapshots and logs checked) |`,
    '',
    'How faults are placed: `PGMEND_FAULT=<point>` (a test-only seam in src/engine/apply/fault-seam.ts, inert unless set) makes `pgmend apply` stop at that point of its run, print `pgmend-fault: paused at <point>` and wait; the test then terminates its backend (`pg_terminate_backend`), kills the process (SIGKILL) or restarts the server, and lets it go on. Every run uses a fresh copy of the database; "intact" means every check listed in its section passed.',
    '',
  ];
  for (const s of sections) out.push(`## ${s.title}`, '', ...s.lines, '');
  return out.join('\n');
}
