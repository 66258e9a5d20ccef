import { EventEmitter, on } from 'node:events';
import path from 'node:path';
import { CNI } from '../cni.js';
import type { NetworkConfigList } from '../config/conflist.js';
import { InvalidArgumentError } from '../errors.js';
import { splitPath } from '../invoke/find-plugin.js';
import { DirWatch } from './dir-watch.js';
import { scanNetworks, type UnusablePolicy } from './scan.js';
import { fingerprint, type ManagedNetwork, type NetworkReadiness, type NetworkState } from './state.js';
import { VersionProbe } from './version-probe.js';

export interface NetworkManagerOptions {
  /** The directory of network configs (`/etc/cni/net.d`). It may not exist yet. */
  confDir: string;
  /** Plugin directories, as a list or a `:`-separated string. @default the `cni` option's path */
  path?: string | readonly string[] | undefined;
  /** The facade that runs VERSION probes. @default a private `new CNI({ path })` */
  cni?: CNI | undefined;
  /** Use the network of this name as the default instead of the first file's. */
  defaultNetwork?: string | undefined;
  /**
   * What a config file whose plugins are missing or do not speak its version does to the default:
   * `skip` passes it over and the next usable file can be the default (CRI-O); `wait` keeps the
   * first parseable file as the default and reports not ready until its plugins can run it.
   * @default 'skip'
   */
  onUnusable?: UnusablePolicy | undefined;
  /** Milliseconds of quiet after a change before the directory is read again. @default 150 */
  debounce?: number | undefined;
  /**
   * Milliseconds after its last change during which a file that does not parse is taken to be
   * still being written: it is neither reported nor chosen, and its last good content stays.
   * @default 1000
   */
  settle?: number | undefined;
  /** Milliseconds between full rescans that catch what watching missed; 0 turns them off. @default 5000 */
  rescanInterval?: number | undefined;
  /** Milliseconds a VERSION probe may take. @default 5000 */
  probeTimeout?: number | undefined;
  /** Keep the process alive while watching, as `fs.watch` does. @default true */
  persistent?: boolean | undefined;
}

interface Events {
  /** The state differs from the one before. */
  change: [state: NetworkState];
  /** A scan finished, whether or not anything changed. */
  scan: [state: NetworkState];
  close: [];
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new InvalidArgumentError(`Expected \`${name}\` to be a number >= 0, got ${String(value)}`);
  return value;
}

/**
 * Watches a CNI config directory and the plugin directories, and keeps an up-to-date view of the
 * usable networks, the default network and whether the runtime is ready. Status queries read the
 * last computed state and never wait for a scan or a plugin. Emits `change` with the new state
 * whenever it differs from the previous one.
 *
 * @example
 * ```ts
 * await using networks = await watchNetworks({ confDir: '/etc/cni/net.d', path: ['/opt/cni/bin'] });
 * networks.on('change', (state) => console.log(state.ready, state.reasons));
 * const { ready, reasons } = networks.status();
 * ```
 */
export class NetworkManager extends EventEmitter<Events> {
  readonly confDir: string;
  readonly path: readonly string[];
  readonly #options: { debounce: number; settle: number; rescanInterval: number; defaultNetwork: string | undefined; onUnusable: UnusablePolicy };
  readonly #probe: VersionProbe;
  readonly #watches: DirWatch[];
  readonly #stop = new AbortController();
  #state: NetworkState;
  #fingerprint = '';
  #parsed = new Map<string, NetworkConfigList>();
  #started = false;
  #scanning: Promise<void> | undefined;
  #dirty = false;
  #waiters: ((state: NetworkState) => void)[] = [];
  #debounceTimer: NodeJS.Timeout | undefined;
  #firstChangeAt: number | undefined;
  #settleTimer: NodeJS.Timeout | undefined;
  #rescanTimer: NodeJS.Timeout | undefined;
  readonly #persistent: boolean;

  constructor(options: NetworkManagerOptions) {
    super();
    if (typeof options?.confDir !== 'string' || options.confDir === '') {
      throw new InvalidArgumentError(`Expected \`confDir\` to be a directory path, got ${String(options?.confDir)}`);
    }
    this.confDir = path.resolve(options.confDir);
    this.path = options.path === undefined ? (options.cni?.path ?? []) : splitPath(options.path);
    const onUnusable = options.onUnusable ?? 'skip';
    if (onUnusable !== 'skip' && onUnusable !== 'wait') {
      throw new InvalidArgumentError(`Expected \`onUnusable\` to be 'skip' or 'wait', got ${String(onUnusable)}`);
    }
    this.#options = {
      debounce: nonNegative('debounce', options.debounce, 150),
      settle: nonNegative('settle', options.settle, 1000),
      rescanInterval: nonNegative('rescanInterval', options.rescanInterval, 5000),
      defaultNetwork: options.defaultNetwork,
      onUnusable,
    };
    const probeTimeout = nonNegative('probeTimeout', options.probeTimeout, 5000) || 5000;
    this.#probe = new VersionProbe(options.cni ?? new CNI({ path: this.path }), probeTimeout);
    this.#persistent = options.persistent ?? true;
    const onChange = () => this.#changed();
    this.#watches = [this.confDir, ...this.path].map((dir) => new DirWatch(dir, onChange, this.#persistent));
    this.#state = {
      confDir: this.confDir,
      ready: false,
      reasons: [`config directory ${this.confDir} not scanned yet`],
      defaultNetwork: undefined,
      networks: [],
      skipped: [],
      pending: [],
      warnings: [],
      generation: 0,
      scannedAt: undefined,
    };
  }

  /** The state of the last scan. Never waits. */
  get state(): NetworkState {
    return this.#state;
  }

  /** Whether the runtime can attach containers, from the last scan. Never waits. */
  status(): NetworkReadiness {
    return { ready: this.#state.ready, reasons: [...this.#state.reasons] };
  }

  /** The default network of the last scan, when there is a usable one. */
  get defaultNetwork(): ManagedNetwork | undefined {
    return this.#state.defaultNetwork;
  }

  /** A usable network by name, from the last scan. */
  network(name: string): ManagedNetwork | undefined {
    return this.#state.networks.find((entry) => entry.name === name);
  }

  get closed(): boolean {
    return this.#stop.signal.aborted;
  }

  /** Sets up the watches and runs the first scan; resolves with its state. Calling it again is harmless. */
  start(): Promise<NetworkState> {
    if (this.#started) return this.closed ? Promise.resolve(this.#state) : this.rescan();
    this.#started = true;
    return this.rescan();
  }

  /** Scans now (after any scan in progress) and resolves with the state that scan computed. */
  rescan(): Promise<NetworkState> {
    if (this.closed) return Promise.resolve(this.#state);
    this.#started = true;
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.#clearDebounce();
      this.#runScans();
    });
  }

  /**
   * The states that follow, as an async iterator that ends when the manager closes or `signal`
   * fires.
   */
  async *changes(options: { signal?: AbortSignal | undefined } = {}): AsyncGenerator<NetworkState, void, undefined> {
    if (this.closed) return;
    const iterator = on(this, 'change', { close: ['close'], ...(options.signal ? { signal: options.signal } : {}) });
    try {
      for await (const [state] of iterator) yield state as NetworkState;
    } catch (error) {
      if (options.signal?.aborted) return;
      throw error;
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<NetworkState, void, undefined> {
    return this.changes();
  }

  /** Stops watching: closes the watches, clears the timers and aborts VERSION probes in flight. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.#stop.abort(new Error('network manager closed'));
    this.#clearDebounce();
    clearTimeout(this.#settleTimer);
    clearTimeout(this.#rescanTimer);
    for (const watch of this.#watches) watch.close();
    for (const resolve of this.#waiters.splice(0)) resolve(this.#state);
    this.emit('close');
    await this.#scanning;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #timer(ms: number, callback: () => void): NodeJS.Timeout {
    const timer = setTimeout(callback, ms);
    if (!this.#persistent) timer.unref();
    return timer;
  }

  #clearDebounce(): void {
    clearTimeout(this.#debounceTimer);
    this.#debounceTimer = undefined;
    this.#firstChangeAt = undefined;
  }

  // Something changed on disk: scan once things have been quiet for `debounce` ms, but no later
  // than ten debounce periods after the first change, so a steady trickle cannot starve the scan.
  #changed(): void {
    if (this.closed || !this.#started) return;
    const now = Date.now();
    this.#firstChangeAt ??= now;
    const { debounce } = this.#options;
    const wait = Math.max(0, Math.min(debounce, this.#firstChangeAt + debounce * 10 - now));
    clearTimeout(this.#debounceTimer);
    this.#debounceTimer = this.#timer(wait, () => {
      this.#clearDebounce();
      this.#runScans();
    });
  }

  #runScans(): void {
    if (this.closed) return;
    if (this.#scanning) {
      this.#dirty = true;
      return;
    }
    this.#scanning = (async () => {
      do {
        this.#dirty = false;
        const waiters = this.#waiters.splice(0);
        await this.#scanOnce();
        for (const resolve of waiters) resolve(this.#state);
      } while (this.#dirty && !this.closed);
      this.#scanning = undefined;
    })();
  }

  async #scanOnce(): Promise<void> {
    clearTimeout(this.#rescanTimer);
    await Promise.all(this.#watches.map((watch) => watch.sync()));
    if (this.closed) return;
    let next: Omit<NetworkState, 'generation' | 'scannedAt'>;
    let settleAt: number | undefined;
    try {
      const output = await scanNetworks({
        confDir: this.confDir,
        paths: this.path,
        defaultNetwork: this.#options.defaultNetwork,
        onUnusable: this.#options.onUnusable,
        settle: this.#options.settle,
        probe: this.#probe,
        previous: this.#parsed,
        signal: this.#stop.signal,
      });
      const { parsed, settleAt: at, ...rest } = output;
      this.#parsed = parsed;
      settleAt = at;
      next = { ...rest, warnings: this.#watches.flatMap((watch) => (watch.error ? [watch.error] : [])) };
      this.#probe.retain(new Set(output.networks.flatMap((entry) => entry.plugins)));
    } catch (error) {
      next = { ...this.#state, ready: false, reasons: [`cannot scan ${this.confDir}: ${(error as Error).message}`] };
    }
    if (this.closed) return;
    this.#publish(next);
    this.#arm(settleAt);
  }

  #publish(next: Omit<NetworkState, 'generation' | 'scannedAt'>): void {
    const print = fingerprint(next);
    const changed = print !== this.#fingerprint;
    this.#fingerprint = print;
    this.#state = { ...next, generation: this.#state.generation + (changed ? 1 : 0), scannedAt: new Date() };
    if (changed) this.emit('change', this.#state);
    this.emit('scan', this.#state);
  }

  #arm(settleAt: number | undefined): void {
    clearTimeout(this.#settleTimer);
    this.#settleTimer = undefined;
    if (settleAt !== undefined) {
      this.#settleTimer = this.#timer(Math.max(0, settleAt - Date.now()) + 10, () => this.#changed());
    }
    if (this.#options.rescanInterval > 0) {
      this.#rescanTimer = this.#timer(this.#options.rescanInterval, () => this.#runScans());
    }
  }
}

/**
 * Starts a {@link NetworkManager} and resolves once its first scan is done.
 *
 * @throws {InvalidArgumentError} `ERR_CNI_INVALID_ARG` for bad options.
 */
export async function watchNetworks(options: NetworkManagerOptions): Promise<NetworkManager> {
  const manager = new NetworkManager(options);
  await manager.start();
  return manager;
}
