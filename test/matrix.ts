import { spawnSync } from 'node:child_process';
import { EMBEDDED_MAJORS, parseMajor } from '../src/demo/embedded-binaries.js';

/**
 * `npm run test:matrix [-- 14 16 … [--vitest-option …]]`: the integration suite (test/integration)
 * once per PostgreSQL major, each against its own embedded server (PGMEND_TEST_SERVER=<major>); all
 * five by default. Arguments starting with `-` go to vitest (e.g. `--testTimeout=300000` on a
 * loaded machine). Prints each major's result and time, and exits 1 if any failed.
 */
const vitestArgs = process.argv.slice(2).filter((a) => a.startsWith('-'));
const args = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const majors = args.length ? args.map((a) => parseMajor(a) ?? fail(`unknown PostgreSQL major "${a}": expected ${EMBEDDED_MAJORS.join(', ')}`)) : [...EMBEDDED_MAJORS];

function fail(message: string): never {
  process.stderr.write(`test:matrix: ${message}\n`);
  process.exit(2);
}

const results: { major: number; ok: boolean; seconds: number }[] = [];
for (const major of majors) {
  process.stderr.write(`\ntest:matrix: PostgreSQL ${major}\n`);
  const started = Date.now();
  const run = spawnSync('npx', ['vitest', 'run', 'test/integration', ...vitestArgs], { stdio: 'inherit', env: { ...process.env, PGMEND_TEST_SERVER: String(major) } });
  results.push({ major, ok: run.status === 0, seconds: Math.round((Date.now() - started) / 1000) });
  if (run.signal) break;
}
for (const r of results) process.stderr.write(`test:matrix: PostgreSQL ${r.major} ${r.ok ? 'passed' : 'FAILED'} in ${r.seconds} s\n`);
process.exitCode = results.length === majors.length && results.every((r) => r.ok) ? 0 : 1;
