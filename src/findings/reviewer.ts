import { execa } from 'execa';
import os from 'node:os';

/** Who signs off: `--reviewer`, else `git config user.name`, else $USER (else the OS account). */
export async function reviewerName(given: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (given?.trim()) return given.trim();
  const git = await execa('git', ['config', 'user.name'], { reject: false, env, timeout: 5000 }).catch(() => undefined);
  const name = typeof git?.stdout === 'string' && git.exitCode === 0 ? git.stdout.trim() : '';
  if (name) return name;
  if (env.USER?.trim()) return env.USER.trim();
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
