import { EventEmitter, on } from 'node:events';
import { CNI } from '../cni.js';
import type { NetworkConfigList } from '../config/conflist.js';
import { DirWatch } from './dir-watch.js';
import { resolveOptions, type NetworkManagerOptions, type ResolvedOptions } from './options.js';
import { scanNetworks } from './scan.js';
import { fingerprint, type ManagedNetwork, type NetworkReadiness, type NetworkState } from './state.js';
import { VersionProbe } from './version-probe.js';

interface Events {
  /** The state differs from the one before. */
  change: [state: NetworkState];
  /** A scan finished, whether or not anything changed. */
  scan: [state: NetworkState];
  close: [];
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
  readonly #options: ResolvedOptions;
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

  constructor(options: NetworkManagerOptions) {
    super();
    const resolved = resolveOptions(options);
    this.confDir = resolved.confDir;
    this.path = resolved.path;
    this.#options = resolved;
    this.#probe = new VersionProbe(options.cni ?? new CNI({ path: this.path }), resolved.probeTimeout);
    const onChange = () => this.#changed();
    this.#watches = [this.confDir, ...this.path].map((dir) => new DirWatch(dir, onChange, resolved.persistent));
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
    if (!this.#options.persistent) timer.unref();
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
