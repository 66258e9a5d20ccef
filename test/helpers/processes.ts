import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * True while `pid` is a running process. A zombie (exited, not yet reaped by its parent) counts as
 * gone: it holds no resources and can no longer act.
 */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the command name, which is wrapped in parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits until `pid` is gone; false if it is still there after `limitMs`. */
export async function waitForExit(pid: number, limitMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (await isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** Waits for a file to exist and returns its text; throws after `limitMs`. */
export async function waitForFile(file: string, limitMs = 5_000): Promise<string> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(10);
    }
  }
}

/** Reads PIDs (whitespace-separated) from a file a fixture wrote; none when it does not exist. */
export async function readPids(file: string): Promise<number[]> {
  try {
    const text = await readFile(file, 'utf8');
    return text.split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Kills, by PID, a process one of our fixtures started, if it is still running. The command line
 * is checked first so that a PID reused by some other process is never touched.
 */
export async function killFixtureProcess(pid: number): Promise<void> {
  if (!(await isAlive(pid))) return;
  let cmdline = '';
  try {
    cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
  } catch {
    return;
  }
  if (!/fixtures\/plugins|\bsleep 300\b|\byes\b|cni-test-/.test(cmdline)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone in the meantime
  }
}
