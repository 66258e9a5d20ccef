import { stat } from 'node:fs/promises';
import type { CNI } from '../cni.js';
import { isCniError } from '../errors.js';
import type { VersionInfo } from '../invoke/version-info.js';

export type ProbeOutcome = { ok: true; info: VersionInfo } | { ok: false; message: string; transient: boolean };

interface Entry {
  key: string;
  outcome: Promise<ProbeOutcome>;
}

// Timeouts and aborts say nothing lasting about the binary, so they are asked again next scan.
const TRANSIENT = new Set(['ERR_CNI_TIMEOUT', 'ERR_CNI_ABORTED']);

/**
 * Asks plugins for their VERSION answer through the CNI facade, once per binary: the answer is
 * kept until the file at that path changes (inode, size or modification time).
 */
export class VersionProbe {
  readonly #cni: CNI;
  readonly #timeout: number;
  readonly #entries = new Map<string, Entry>();

  constructor(cni: CNI, timeout: number) {
    this.#cni = cni;
    this.#timeout = timeout;
  }

  async probe(type: string, file: string, signal: AbortSignal): Promise<ProbeOutcome> {
    let key: string;
    try {
      const info = await stat(file);
      key = `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`;
    } catch (error) {
      return { ok: false, message: (error as Error).message, transient: true };
    }
    const known = this.#entries.get(file);
    if (known?.key === key) return known.outcome;
    const entry: Entry = { key, outcome: this.#ask(type, signal) };
    this.#entries.set(file, entry);
    const outcome = await entry.outcome;
    if (!outcome.ok && outcome.transient && this.#entries.get(file) === entry) this.#entries.delete(file);
    return outcome;
  }

  async #ask(type: string, signal: AbortSignal): Promise<ProbeOutcome> {
    try {
      return { ok: true, info: await this.#cni.getVersionInfo(type, { timeout: this.#timeout, signal }) };
    } catch (error) {
      return { ok: false, message: (error as Error).message, transient: isCniError(error) && TRANSIENT.has(error.code) };
    }
  }

  /** Forgets binaries that are no longer on the path. */
  retain(files: ReadonlySet<string>): void {
    for (const file of this.#entries.keys()) if (!files.has(file)) this.#entries.delete(file);
  }
}
