import PQueue from 'p-queue';
import { normalizeCniArgs } from './args.js';
import { requiredPlugins, type NetworkConfigList, type PluginConfig } from './config/conflist.js';
import {
  validateCapabilityArgs,
  validateContainerId,
  validateInterfaceName,
  validateNetns,
  validateCacheFileName,
  validateNetworkName,
} from './config/validate.js';
import {
  DEFAULT_CACHE_DIR,
  ensureCacheDir,
  listCachedAttachments,
  readCacheEntry,
  removeCacheEntry,
  sweepTempFiles,
  writeCacheEntry,
  type AttachmentKey,
  type CacheRead,
  type CachedAttachment,
} from './cache/cache.js';
import {
  AbortError,
  AttachmentExistsError,
  describePlugin,
  CacheError,
  MultipleErrors,
  TimeoutError,
  VersionError,
  isCniError,
} from './errors.js';
import { defaultExecutor } from './invoke/exec-plugin.js';
import { findPlugin, splitPath } from './invoke/find-plugin.js';
import { getVersionInfo, type VersionInfo } from './invoke/version-info.js';
import {
  addChain,
  checkIpamPlugins,
  checkChain,
  delChain,
  findPlugins,
  gcChain,
  statusChain,
  type Attachment,
  type ChainContext,
  type ValidAttachment,
} from './network-list.js';
import {
  attachNetworks,
  detachNetworks,
  type AttachOptions,
  type AttachedNetwork,
  type Container,
  type NetworkAttachment,
} from './multi-network.js';
import { convertResult } from './result/convert.js';
import { parseResult } from './result/parse.js';
import type { Result } from './result/schemas.js';
import { effectiveVersion, versionAtLeast } from './version.js';
import { AttachmentLocks, InProcessLocks, KeyedLock } from './lock.js';
import { DEFAULTS, positive, type CallOptions, type CNIOptions, type RuntimeConf } from './options.js';

export type { CallOptions, CNIOptions, RuntimeConf } from './options.js';

/**
 * Runs CNI plugin chains for a container runtime: the Go library's `CNIConfig`, for Node.
 *
 * @example
 * ```ts
 * const cni = new CNI({ path: ['/usr/lib/cni'] });
 * const list = await loadNetworkList('/etc/cni/net.d', 'mynet');
 * const result = await cni.addNetworkList(list, { containerId: 'ctr1', netns: '/run/netns/ctr1', ifName: 'eth0' });
 * await cni.delNetworkList(list, { containerId: 'ctr1', netns: '/run/netns/ctr1', ifName: 'eth0' });
 * ```
 */
export class CNI {
  readonly path: readonly string[];
  readonly cacheDir: string;
  /** Milliseconds a rollback or cleanup DEL may take. */
  readonly cleanupTimeout: number;
  readonly #options: CNIOptions;
  readonly #shared: Omit<ChainContext, 'signal'>;
  readonly #queue: PQueue;
  readonly #locks = new KeyedLock();
  readonly #files: AttachmentLocks | InProcessLocks;
  readonly #versions = new Map<string, Promise<VersionInfo>>();

  constructor(options: CNIOptions = {}) {
    this.path = splitPath(options.path);
    this.cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
    this.#options = options;
    // What every chain run shares, resolved once; each call adds its own signal.
    this.#shared = {
      paths: this.path,
      executor: options.executor ?? defaultExecutor,
      pluginTimeout: positive('pluginTimeout', options.pluginTimeout, DEFAULTS.pluginTimeout),
      killGrace: positive('killGrace', options.killGrace, DEFAULTS.killGrace),
      maxOutputBytes: positive('maxOutputBytes', options.maxOutputBytes, DEFAULTS.maxOutputBytes),
      inheritEnv: options.inheritEnv,
      extraEnv: options.extraEnv,
      onStderr: options.onStderr,
    };
    this.cleanupTimeout = positive('cleanupTimeout', options.cleanupTimeout, DEFAULTS.cleanupTimeout);
    this.#files = options.lockFiles === false ? new InProcessLocks() : new AttachmentLocks(this.cacheDir);
    this.#queue = new PQueue({ concurrency: positive('concurrency', options.concurrency, DEFAULTS.concurrency) });
  }

  #context(signal: AbortSignal | undefined): ChainContext {
    return { ...this.#shared, signal };
  }

  // Runs one operation with the call's signal and timeout, turning any abort into our typed
  // errors. With a key, the operation holds that attachment's lock (in this process and in the
  // lock file); `network` holds a network's GC lock instead.
  async #run<T>(
    lock: { attachment: AttachmentKey; bestEffort?: boolean } | { network: string } | undefined,
    options: CallOptions,
    operation: (context: ChainContext) => Promise<T>,
  ): Promise<T> {
    const timeoutMs = options.timeout === undefined ? undefined : positive('timeout', options.timeout, 1);
    const timeoutSignal = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    const signals = [options.signal, timeoutSignal].filter((signal): signal is AbortSignal => signal !== undefined);
    const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    const translate = (error: unknown): never => {
      if (timeoutSignal?.aborted && !options.signal?.aborted && (!isCniError(error) || error.code === 'ERR_CNI_ABORTED')) {
        const where = isCniError(error) ? { network: error.network, plugin: error.plugin, command: error.command } : {};
        const prefix = isCniError(error) && error.plugin ? `${describePlugin(where)}: ` : '';
        const timedOut = new TimeoutError(`${prefix}operation timed out after ${timeoutMs} ms`, { timeout: timeoutMs!, cause: error, ...where });
        // A failed ADD that was rolled back still says how the rollback went.
        if (isCniError(error) && error.rollback) {
          timedOut.rollback = error.rollback;
          timedOut.message += error.rollback.ok ? ' (rolled back: DEL succeeded)' : ` (rollback DEL failed too: ${error.rollback.error.message})`;
        }
        throw timedOut;
      }
      if (options.signal?.aborted && isCniError(error) && error.code === 'ERR_CNI_LOCK_TIMEOUT') {
        throw new AbortError(`operation aborted while ${error.message}`, { cause: options.signal.reason });
      }
      if (!isCniError(error) && signal?.aborted) throw new AbortError('operation aborted', { cause: signal.reason });
      throw error;
    };
    const task = () => this.#queue.add(() => operation(this.#context(signal))) as Promise<T>;
    try {
      signal?.throwIfAborted();
      if (lock === undefined) return await task();
      const key = 'attachment' in lock ? this.#lockKey(lock.attachment) : `${this.cacheDir}\0${lock.network}\0GC`;
      return await this.#locks.run(
        key,
        async () => {
          let held: { release(): Promise<void> } | undefined;
          try {
            held = 'attachment' in lock ? await this.#files.attachment(lock.attachment, signal) : await this.#files.network(lock.network, signal);
          } catch (error) {
            // DEL is best effort: a cache directory that cannot hold lock files does not stop it.
            if (!('attachment' in lock && lock.bestEffort && isCniError(error) && error.code === 'ERR_CNI_CACHE')) throw error;
          }
          try {
            return await task();
          } finally {
            await held?.release();
          }
        },
        signal,
      );
    } catch (error) {
      return translate(error);
    }
  }

  #attachment(list: NetworkConfigList, rt: RuntimeConf): Attachment & AttachmentKey {
    validateNetworkName(list.name);
    validateContainerId(rt.containerId);
    validateInterfaceName(rt.ifName);
    validateNetns(rt.netns);
    validateCapabilityArgs(rt.capabilityArgs);
    validateCacheFileName(list.name, rt.containerId, rt.ifName);
    return {
      networkName: list.name,
      containerId: rt.containerId,
      netns: rt.netns ?? '',
      ifName: rt.ifName,
      args: normalizeCniArgs(rt.args),
      capabilityArgs: { ...rt.capabilityArgs },
    };
  }

  #lockKey(key: AttachmentKey): string {
    return `${this.cacheDir}\0${key.networkName}\0${key.containerId}\0${key.ifName}`;
  }

  /**
   * Attaches a container to a network: runs ADD through the list in order, caches the result and
   * returns it (in the list's version). On failure the list is DEL'd again unless
   * `rollbackOnFailure` is off; the error's `rollback` says how that went.
   *
   * @throws {CniError} `ERR_CNI_INVALID_ARG`, `ERR_CNI_PLUGIN_NOT_FOUND`, `ERR_CNI_PLUGIN`,
   * `ERR_CNI_PLUGIN_EXEC`, `ERR_CNI_RESULT`, `ERR_CNI_TIMEOUT`, `ERR_CNI_ABORTED`, `ERR_CNI_CACHE`
   */
  async addNetworkList(list: NetworkConfigList, rt: RuntimeConf, options: CallOptions = {}): Promise<Result> {
    let attachment: Attachment & AttachmentKey;
    try {
      attachment = this.#attachment(list, rt);
    } catch (error) {
      // As in the Go library, a plugin that is not installed is reported before a bad argument.
      await findPlugins(list, this.path);
      throw error;
    }
    return this.#run({ attachment }, options, async (context) => {
      const files = await findPlugins(list, this.path);
      await checkIpamPlugins(list, this.path);
      await ensureCacheDir(this.cacheDir);
      const existing = await readCacheEntry(this.cacheDir, attachment);
      if (existing.state === 'foreign') {
        const other = existing.entry;
        throw new CacheError(
          `cannot ADD network "${list.name}" for container ${attachment.containerId} on ${attachment.ifName}: its cache file ${existing.file} belongs to network "${other.networkName}", container ${other.containerId}, interface ${other.ifName} (the names join to the same file name)`,
          { file: existing.file, network: list.name, command: 'ADD' },
        );
      }
      if (existing.state === 'ok') {
        throw new AttachmentExistsError(
          `network "${list.name}" is already attached to container ${attachment.containerId} on ${attachment.ifName} (cached in ${existing.file}); DEL it before adding it again`,
          { file: existing.file, network: list.name, command: 'ADD' },
        );
      }
      let result: Result;
      try {
        result = await addChain(context, list, files, attachment);
        await writeCacheEntry(
          this.cacheDir,
          {
            kind: 'cniCacheV1',
            ...attachment,
            cniArgs: attachment.args,
            config: list.bytes,
            result,
          },
          { sync: this.#options.cacheSync },
        );
      } catch (error) {
        await this.#rollback(list, attachment, error);
        throw error;
      }
      return result;
    });
  }

  async #rollback(list: NetworkConfigList, attachment: Attachment, error: unknown): Promise<void> {
    if (this.#options.rollbackOnFailure === false || !isCniError(error)) return;
    const signal = AbortSignal.timeout(this.cleanupTimeout);
    try {
      await delChain(this.#context(signal), list, attachment, undefined);
      error.rollback = { ok: true };
      error.message += ' (rolled back: DEL succeeded)';
    } catch (rollbackError) {
      error.rollback = { ok: false, error: rollbackError as Error };
      error.message += ` (rollback DEL failed too: ${(rollbackError as Error).message})`;
    }
  }

  // The cached entry of an attachment, and the result in it converted to the list's version.
  async #cached(list: NetworkConfigList, key: AttachmentKey): Promise<{ read: CacheRead; result: Result | undefined; error?: Error }> {
    const read = await readCacheEntry(this.cacheDir, key);
    const raw = read.state === 'ok' ? read.entry.result : read.state === 'legacy' ? read.result : undefined;
    if (raw === undefined) return { read, result: undefined };
    try {
      return { read, result: convertResult(parseResult(raw, list.cniVersion), effectiveVersion(list.cniVersion)) };
    } catch (error) {
      return { read, result: undefined, error: error as Error };
    }
  }

  // CHECK and DEL replay the CNI_ARGS and capability args of ADD time when the cache has them.
  #replay(attachment: Attachment, read: CacheRead): Attachment {
    if (read.state !== 'ok') return attachment;
    // The entry is the truth about ADD time: a missing field means ADD had none, as the cache
    // format leaves empty ones out.
    return { ...attachment, args: read.entry.cniArgs ?? [], capabilityArgs: read.entry.capabilityArgs ?? {} };
  }

  /**
   * Checks an attachment: runs CHECK through the list in order with the cached ADD result as
   * `prevResult`, replaying ADD's `CNI_ARGS` and capability args. Resolves at once when the list
   * sets `disableCheck`.
   *
   * @throws {VersionError} `ERR_CNI_VERSION` for lists older than 0.4.0.
   * @throws {CacheError} `ERR_CNI_CACHE` when there is no readable cached result to check against.
   */
  async checkNetworkList(list: NetworkConfigList, rt: RuntimeConf, options: CallOptions = {}): Promise<void> {
    const attachment = this.#attachment(list, rt);
    if (!versionAtLeast(effectiveVersion(list.cniVersion), '0.4.0')) {
      throw new VersionError(`configuration version "${list.cniVersion}" does not support the CHECK command`, {
        network: list.name,
        command: 'CHECK',
        cniCode: 1,
      });
    }
    if (list.disableCheck) return;
    await this.#run({ attachment }, options, async (context) => {
      const files = await findPlugins(list, this.path);
      const { read, result, error } = await this.#cached(list, attachment);
      if (!result) {
        const why = error
          ? `cannot be read: ${error.message}`
          : read.state === 'corrupt'
            ? `is corrupt: ${read.reason}`
            : read.state === 'foreign'
              ? `file belongs to network "${read.entry.networkName}", container ${read.entry.containerId}`
              : 'does not exist';
        throw new CacheError(`cannot CHECK network "${list.name}" for container ${attachment.containerId}: the cached ADD result ${why}`, {
          file: read.file,
          network: list.name,
          command: 'CHECK',
          cause: error,
        });
      }
      await checkChain(context, list, files, this.#replay(attachment, read), result);
    });
  }

  /**
   * Detaches a container from a network: runs DEL through the list in reverse with the cached
   * result (for lists of 0.4.0 and later) and ADD's `CNI_ARGS` and capability args, then removes
   * the cache entry. A missing or corrupt cache entry or netns does not stop it; every plugin is
   * tried, and the cache entry is kept if any fails so a retry has the same inputs.
   *
   * @throws {CniError} the plugin's error, or `ERR_CNI_MULTIPLE` when several plugins failed.
   */
  async delNetworkList(list: NetworkConfigList, rt: RuntimeConf, options: CallOptions = {}): Promise<void> {
    const attachment = this.#attachment(list, rt);
    await this.#run({ attachment, bestEffort: true }, options, (context) => this.#delete(context, list, attachment));
  }

  async #delete(context: ChainContext, list: NetworkConfigList, attachment: Attachment & AttachmentKey): Promise<void> {
    const { read, result } = await this.#cached(list, attachment);
    const prevResult = versionAtLeast(effectiveVersion(list.cniVersion), '0.4.0') ? result : undefined;
    await delChain(context, list, this.#replay(attachment, read), prevResult);
    // Another attachment's file under the same name is left alone.
    if (read.state !== 'foreign') await removeCacheEntry(this.cacheDir, attachment);
  }

  /**
   * The config bytes and runtime arguments cached at ADD time: what a DEL needs when the config on
   * disk changed since. `undefined` when nothing is cached.
   *
   * @throws {CacheError} `ERR_CNI_CACHE` when the cache file is corrupt.
   */
  async getNetworkListCachedConfig(
    list: NetworkConfigList,
    rt: RuntimeConf,
    options: CallOptions = {},
  ): Promise<{ config: Uint8Array; rt: RuntimeConf } | undefined> {
    const attachment = this.#attachment(list, rt);
    return this.#run(undefined, options, async () => {
      const read = await readCacheEntry(this.cacheDir, attachment);
      if (read.state === 'missing' || read.state === 'legacy' || read.state === 'foreign') return undefined;
      if (read.state === 'corrupt') throw new CacheError(`cache file ${read.file} is corrupt: ${read.reason}`, { file: read.file, network: list.name });
      const { entry } = read;
      return {
        config: entry.config,
        rt: { ...rt, args: entry.cniArgs ?? rt.args, capabilityArgs: entry.capabilityArgs },
      };
    });
  }

  // Whether a plugin speaks 1.1.0 (STATUS, GC), from its VERSION answer, asked once per binary.
  async #supports11(context: ChainContext, plugin: PluginConfig, file: string): Promise<boolean> {
    let info = this.#versions.get(file);
    if (!info) {
      info = getVersionInfo(context, plugin.type, file);
      this.#versions.set(file, info);
      info.catch(() => this.#versions.delete(file));
    }
    return (await info).supportedVersions.includes('1.1.0');
  }

  /**
   * Garbage-collects a network: DELs every cached attachment of it that is not in
   * `validAttachments` (using the cached netns and arguments), then, for lists of 1.1.0 and later,
   * sends GC with `cni.dev/valid-attachments` to every plugin whose VERSION answer includes 1.1.0.
   * It waits for ADD, CHECK and DEL in flight on the network (in any process) and holds new ones
   * off until it is done. Without `validAttachments` no cached attachment is deleted and plugins
   * are not told which are valid. Resolves at once when the list sets `disableGC`.
   *
   * @throws {CniError} the failure, or `ERR_CNI_MULTIPLE` for several (every step is tried).
   */
  async gcNetworkList(
    list: NetworkConfigList,
    args: { validAttachments?: readonly ValidAttachment[] | undefined } = {},
    options: CallOptions = {},
  ): Promise<void> {
    validateNetworkName(list.name);
    if (list.disableGC) return;
    const valid = args.validAttachments?.map((entry) => `${entry.containerId}\0${entry.ifName}`);
    await this.#run({ network: list.name }, options, async (context) => {
      const errors: Error[] = [];
      await sweepTempFiles(this.cacheDir);
      if (valid !== undefined) {
        const cached = await listCachedAttachments(this.cacheDir);
        for (const entry of cached) {
          if (entry.networkName !== list.name || valid.includes(`${entry.containerId}\0${entry.ifName}`)) continue;
          try {
            const attachment = this.#attachment(list, {
              containerId: entry.containerId,
              ifName: entry.ifName,
              netns: entry.netns,
              args: entry.cniArgs,
              capabilityArgs: entry.capabilityArgs,
            });
            await this.#delete(context, list, attachment);
          } catch (error) {
            errors.push(error as Error);
          }
        }
      }
      if (versionAtLeast(effectiveVersion(list.cniVersion), '1.1.0')) {
        errors.push(...(await gcChain(context, list, args.validAttachments, (plugin, file) => this.#supports11(context, plugin, file))));
      }
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new MultipleErrors(`GC of network "${list.name}" failed`, errors, { network: list.name, command: 'GC' });
    });
  }

  /**
   * Asks every plugin of a 1.1.0 (or later) list whose VERSION answer includes 1.1.0 whether it
   * is ready for ADD. Resolves when all are; resolves at once for older lists. Rejects with the
   * first plugin's error: `cniCode` 50 (not available) or 51 (limited connectivity) by the spec.
   *
   * @throws {PluginReportedError} `ERR_CNI_PLUGIN` with the plugin's `cniCode`.
   */
  async getStatusNetworkList(list: NetworkConfigList, options: CallOptions = {}): Promise<void> {
    if (!versionAtLeast(effectiveVersion(list.cniVersion), '1.1.0')) return;
    await this.#run(undefined, options, (context) => statusChain(context, list, (plugin, file) => this.#supports11(context, plugin, file)));
  }

  /**
   * Attaches a container to several networks (at once unless `parallel: false`). If any fails,
   * the ones that succeeded are detached again and the error says how that went.
   *
   * @throws {CniError} the failure, or `ERR_CNI_MULTIPLE` for several.
   */
  attachNetworks(container: Container, networks: readonly NetworkAttachment[], options: AttachOptions = {}): Promise<AttachedNetwork[]> {
    return attachNetworks(this, container, networks, options);
  }

  /**
   * Detaches a container from several networks; without `networks`, from every network the cache
   * knows for it, using the cached config. Every one is tried; failures are reported together.
   *
   * @throws {CniError} the failure, or `ERR_CNI_MULTIPLE` for several.
   */
  detachNetworks(container: Container, networks?: readonly Pick<NetworkAttachment, 'list' | 'ifName'>[], options: CallOptions = {}): Promise<void> {
    return detachNetworks(this, container, networks, options);
  }

  /**
   * The cached ADD result of an attachment, converted to the list's version; `undefined` when
   * there is none.
   *
   * @throws {CacheError} `ERR_CNI_CACHE` when the cache file is corrupt or cannot be converted.
   */
  async getNetworkListCachedResult(list: NetworkConfigList, rt: RuntimeConf, options: CallOptions = {}): Promise<Result | undefined> {
    const attachment = this.#attachment(list, rt);
    return this.#run(undefined, options, async () => {
      const { read, result, error } = await this.#cached(list, attachment);
      if (read.state === 'corrupt') throw new CacheError(`cache file ${read.file} is corrupt: ${read.reason}`, { file: read.file, network: list.name });
      if (error) throw new CacheError(`failed to convert cached result to config version: ${error.message}`, { file: read.file, cause: error, network: list.name });
      return result;
    });
  }

  /** The attachments in the cache, optionally only those of one container. */
  async getCachedAttachments(containerId?: string, options: CallOptions = {}): Promise<CachedAttachment[]> {
    if (containerId !== undefined) validateContainerId(containerId);
    return this.#run(undefined, options, () => listCachedAttachments(this.cacheDir, containerId));
  }

  /**
   * Asks a plugin which spec versions it supports (CNI_COMMAND=VERSION).
   *
   * @throws {CniError} `ERR_CNI_PLUGIN_NOT_FOUND`, `ERR_CNI_PLUGIN_EXEC`, `ERR_CNI_VERSION`
   */
  async getVersionInfo(pluginType: string, options: CallOptions = {}): Promise<VersionInfo> {
    return this.#run(undefined, options, async (context) => {
      const file = await findPlugin(pluginType, this.path);
      return getVersionInfo(context, pluginType, file);
    });
  }

  /**
   * Checks that every plugin of the list is installed and supports the list's version. Resolves
   * to the capabilities the plugins declare.
   *
   * @throws {CniError} the first problem found, or `ERR_CNI_MULTIPLE` for several.
   */
  async validateNetworkList(list: NetworkConfigList, options: CallOptions = {}): Promise<string[]> {
    validateNetworkName(list.name);
    const version = effectiveVersion(list.cniVersion);
    return this.#run(undefined, options, async (context) => {
      const errors: Error[] = [];
      // Each plugin, and the IPAM plugin it delegates to (which the Go library does not check).
      for (const { type } of requiredPlugins(list)) {
        try {
          const info = await getVersionInfo(context, type, await findPlugin(type, this.path));
          if (!info.supportedVersions.includes(version)) {
            const supported = info.supportedVersions.join(', ');
            throw new VersionError(`plugin ${type} does not support config version "${version}" (it supports ${supported})`, {
              network: list.name,
              plugin: type,
              cniCode: 1,
            });
          }
        } catch (error) {
          if (isCniError(error)) error.network ??= list.name;
          errors.push(error as Error);
        }
      }
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new MultipleErrors(`network "${list.name}" is not valid`, errors, { network: list.name });
      return [...new Set(list.plugins.flatMap((plugin) => plugin.capabilities))];
    });
  }
}
