import { execa } from 'execa';

/**
 * Runs a script file with the real `psql`, as an operator would: `psql -X -v ON_ERROR_STOP=1 -d
 * <url> -f <file>`. The password travels in PGPASSWORD, not on the command line.
 */
export interface PsqlRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runPsqlFile(url: string, file: string): Promise<PsqlRun> {
  const target = new URL(url);
  const password = decodeURIComponent(target.password);
  target.password = '';
  const r = await execa('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-d', target.toString(), '-f', file], {
    reject: false,
    env: { ...(password ? { PGPASSWORD: password } : {}), PGCONNECT_TIMEOUT: '10', LC_ALL: 'C' },
    timeout: 60_000,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
