import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import type { AttachmentKey } from './cache/cache.js';
import { acquireLock, heldLocks, lockHeld, type HeldLock } from './cache/lock-file.js';
import { LockTimeoutError } from './errors.js';

/** Serialises async work per key inside this process; different keys run in parallel. */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const busy = this.#tails.get(key);
    const previous = busy ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    try {
      if (busy) await abortable(busy, signal, key);
      return await work();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

async function abortable(promise: Promise<void>, signal: AbortSignal | undefined, what: string): Promise<void> {
  if (!signal) return promise;
  const fail = () => new LockTimeoutError(`gave up waiting for another operation on ${what.replaceAll('\0', ' ')}`, { cause: signal.reason });
  if (signal.aborted) throw fail();
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(fail());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

const GC_LOCK = '.gc.lock';

async function waitWhile(check: () => boolean | Promise<boolean>, signal: AbortSignal | undefined, what: string): Promise<void> {
  for (let delay = 1; await check(); delay = Math.min(delay * 2, 50)) {
    if (signal?.aborted) throw new LockTimeoutError(`gave up waiting for ${what}`, { cause: signal.reason });
    await sleep(delay, undefined, { signal }).catch(() => {});
  }
}

/**
 * Lock files under `<cacheDir>/locks/<network>/`: one per attachment, taken by ADD, CHECK and DEL,
 * and one per network taken by GC. GC waits until no attachment of its network is locked and
 * holds every new one off until it is done; ADD and DEL step back while a GC runs. The files work
 * across processes, and a lock whose process died is taken over.
 */
export class AttachmentLocks {
  readonly #dir: string;

  constructor(cacheDir: string) {
    this.#dir = path.join(cacheDir, 'locks');
  }

  #networkDir(network: string): string {
    return path.join(this.#dir, network);
  }

  async attachment(key: AttachmentKey, signal: AbortSignal | undefined): Promise<HeldLock> {
    const dir = this.#networkDir(key.networkName);
    const gcLock = path.join(dir, GC_LOCK);
    const what = `attachment ${key.networkName}/${key.containerId}/${key.ifName}`;
    for (;;) {
      await waitWhile(() => lockHeld(gcLock), signal, `GC of network ${key.networkName}`);
      const held = await acquireLock(path.join(dir, `${key.containerId}-${key.ifName}.lock`), { signal, what });
      if (!(await lockHeld(gcLock))) return held;
      await held.release();
    }
  }

  async network(network: string, signal: AbortSignal | undefined): Promise<HeldLock> {
    const dir = this.#networkDir(network);
    const held = await acquireLock(path.join(dir, GC_LOCK), { signal, what: `network ${network} for GC` });
    try {
      await waitWhile(async () => (await heldLocks(dir, '')).some((file) => path.basename(file) !== GC_LOCK), signal, `operations on network ${network}`);
    } catch (error) {
      await held.release();
      throw error;
    }
    return held;
  }
}

// What `lockFiles: false` uses instead of AttachmentLocks: the same rules (GC of a network waits
// for its attachment operations and holds new ones off) kept in memory, for one process. Operations
// on one attachment are already serialised by the KeyedLock.
export class InProcessLocks {
  readonly #active = new Map<string, number>();
  readonly #collecting = new Set<string>();

  async attachment(key: AttachmentKey, signal: AbortSignal | undefined): Promise<{ release(): Promise<void> }> {
    const network = key.networkName;
    await waitWhile(() => this.#collecting.has(network), signal, `GC of network ${network}`);
    this.#active.set(network, (this.#active.get(network) ?? 0) + 1);
    return {
      release: async () => {
        const left = this.#active.get(network)! - 1;
        if (left === 0) this.#active.delete(network);
        else this.#active.set(network, left);
      },
    };
  }

  async network(network: string, signal: AbortSignal | undefined): Promise<{ release(): Promise<void> }> {
    this.#collecting.add(network);
    const release = async () => void this.#collecting.delete(network);
    try {
      await waitWhile(() => this.#active.has(network), signal, `operations on network ${network}`);
    } catch (error) {
      await release();
      throw error;
    }
    return { release };
  }
}
