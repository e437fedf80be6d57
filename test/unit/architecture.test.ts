import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import path from 'node:path';

/**
 * The dependency rules of .dependency-cruiser.cjs over src/: no import cycles; cli/, tui/ and
 * export/ reach the engine only through src/engine/index.ts; window and online mode never import
 * each other. depcruise exits non-zero and names each offending import.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');

describe('architecture', () => {
  it('src/ keeps the dependency rules', async () => {
    const out = await new Promise<{ code: number; text: string }>((resolve) => {
      execFile(process.execPath, [path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), 'src', '--config', '.dependency-cruiser.cjs'], { cwd: ROOT }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, text: stdout + stderr }),
      );
    });
    expect(out.text).toMatch(/no dependency violations found \(\d+ modules/);
    expect(out.code, out.text).toBe(0);
  }, 60_000);
});
