import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { CacheError, LockTimeoutError } from '../errors.js';

// Cross-process locks as files that name their owner: "<pid> <start time>". A lock whose owner
// process is gone (or whose PID now belongs to a process started later) is stale and taken over,
// so a crashed process never blocks others for longer than one look at /proc.
//
// Known limit: when a stale lock is taken over by two processes at the same instant while a third
// creates a fresh one, two of them can briefly both believe they hold it. That needs a crash and a
// three-way race in the same few microseconds.

/**
 * The start time of a process in clock ticks since boot, from /proc; undefined if it is gone. A
 * zombie (dead, not yet reaped by its parent) counts as gone: it can no longer release anything.
 */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

const self = `${process.pid} ${startTime(process.pid) ?? '0'}`;

/** True while the process that wrote `owner` still runs. */
export function ownerAlive(owner: string): boolean {
  const [pid, started] = owner.trim().split(' ');
  const number = Number(pid);
  if (!Number.isInteger(number) || number <= 0) return false;
  const now = startTime(number);
  return now !== undefined && (started === undefined || started === '0' || now === started);
}

async function readOwner(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

// Creates the lock file with its content in one step: written aside, then hard-linked into place.
async function tryCreate(file: string): Promise<boolean> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, self, { mode: 0o600 });
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

async function takeOverStale(file: string, staleOwner: string): Promise<void> {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readOwner(aside);
  if (moved !== staleOwner) {
    // We moved a fresh lock someone took meanwhile: put it back.
    await link(aside, file).catch(() => {});
  }
  await unlink(aside).catch(() => {});
}

export interface LockOptions {
  signal?: AbortSignal | undefined;
  /** Describes what is locked, for error messages. */
  what: string;
}

/** Holds a lock until `release` is called. */
export interface HeldLock {
  readonly file: string;
  release(): Promise<void>;
}

/**
 * Takes the lock file `file`, waiting while another live process holds it.
 *
 * @throws {LockTimeoutError} `ERR_CNI_LOCK_TIMEOUT` when `signal` fires first.
 */
export async function acquireLock(file: string, options: LockOptions): Promise<HeldLock> {
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new CacheError(`cannot create lock directory ${path.dirname(file)}: ${(error as Error).message}`, { file, cause: error });
  }
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    try {
      if (await tryCreate(file)) return { file, release: () => releaseLock(file) };
    } catch (error) {
      throw new CacheError(`cannot create lock file ${file}: ${(error as Error).message}`, { file, cause: error });
    }
    const owner = await readOwner(file);
    if (owner === undefined) continue;
    if (!ownerAlive(owner)) {
      await takeOverStale(file, owner);
      continue;
    }
    // Only a lock really held by someone else makes this a lock timeout.
    if (options.signal?.aborted) {
      throw new LockTimeoutError(`gave up waiting for the lock on ${options.what} (${file})`, { cause: options.signal.reason });
    }
    await sleep(delay, undefined, { signal: options.signal }).catch(() => {});
  }
}

async function releaseLock(file: string): Promise<void> {
  const owner = await readOwner(file);
  if (owner === self) await unlink(file).catch(() => {});
}

/** True when `file` is a lock held by a live process. */
export async function lockHeld(file: string): Promise<boolean> {
  const owner = await readOwner(file).catch(() => undefined);
  return owner !== undefined && ownerAlive(owner);
}

/** The lock files in `dir` whose name starts with `prefix` and whose owner is alive. */
export async function heldLocks(dir: string, prefix: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const held: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.lock')) continue;
    if (await lockHeld(path.join(dir, name))) held.push(path.join(dir, name));
  }
  return held;
}
