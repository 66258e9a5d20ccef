import { watch, type FSWatcher, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';

async function statOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await stat(file);
  } catch {
    return undefined;
  }
}

/**
 * Watches one directory that may not exist yet, or may be deleted and created again. While it is
 * missing, the nearest existing ancestor is watched instead, for the entry on the way to it.
 * `sync()` re-points the watch after such changes; the owner calls it before every scan.
 */
export class DirWatch {
  readonly dir: string;
  readonly #onChange: () => void;
  readonly #persistent: boolean;
  #watcher: FSWatcher | undefined;
  #watched: { dir: string; ino: number; dev: number; birth: number } | undefined;
  // Set when an event names the watched directory itself: it was probably deleted or moved, and a
  // directory made again in its place can even get the same inode number.
  #suspect = false;
  #error: string | undefined;
  #closed = false;

  constructor(dir: string, onChange: () => void, persistent: boolean) {
    this.dir = path.resolve(dir);
    this.#onChange = onChange;
    this.#persistent = persistent;
  }

  /** Why the directory could not be watched, when it could not. */
  get error(): string | undefined {
    return this.#error;
  }

  /** Points the watch at the directory, or at its nearest existing ancestor while it is missing. */
  async sync(): Promise<void> {
    // Two rounds: the directory may appear between the first stat and watching its ancestor.
    for (let round = 0; round < 2 && !this.#closed; round++) {
      const info = await statOrUndefined(this.dir);
      if (info?.isDirectory()) {
        this.#watch(this.dir, info, undefined);
        return;
      }
      let ancestor = path.dirname(this.dir);
      let child = path.basename(this.dir);
      let found = await statOrUndefined(ancestor);
      while (!found?.isDirectory() && ancestor !== path.dirname(ancestor)) {
        child = path.basename(ancestor);
        ancestor = path.dirname(ancestor);
        found = await statOrUndefined(ancestor);
      }
      if (!found?.isDirectory()) return;
      this.#watch(ancestor, found, child);
      if (!(await statOrUndefined(this.dir))?.isDirectory()) return;
    }
  }

  #watch(dir: string, info: Stats, only: string | undefined): void {
    const current = this.#watched;
    if (this.#closed) return;
    const same = current && current.dir === dir && current.ino === info.ino && current.dev === info.dev && current.birth === info.birthtimeMs;
    if (same && this.#watcher && !this.#suspect) return;
    this.#release();
    const self = path.basename(dir);
    try {
      const watcher = watch(dir, { persistent: this.#persistent }, (_event, name) => {
        if (only === undefined && name === self) this.#suspect = true;
        // In an ancestor, only the entry leading to our directory matters.
        if (only === undefined || name === null || name === only) this.#onChange();
      });
      // A watch that breaks (its directory gone, inotify trouble) is re-made by the next sync.
      watcher.on('error', () => {
        this.#release();
        this.#onChange();
      });
      this.#watcher = watcher;
      this.#watched = { dir, ino: info.ino, dev: info.dev, birth: info.birthtimeMs };
      this.#suspect = false;
      this.#error = undefined;
    } catch (error) {
      this.#error = `cannot watch ${dir}: ${(error as Error).message}`;
    }
  }

  #release(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#watched = undefined;
  }

  close(): void {
    this.#closed = true;
    this.#release();
  }
}
