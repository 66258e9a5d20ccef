// A tiny container runtime on libcni and runc: the shape to copy.
//
//   create:  network namespace -> attach every network (loopback first) -> OCI bundle whose
//            config names that namespace's path
//   start:   runc run --detach
//   stop:    runc kill TERM (KILL when it does not go) -> runc delete
//   remove:  detach every network (reverse order) -> delete the namespace and the bundle
//
// Two things bite everyone once: runc gives the container a namespace whose `lo` is down, so
// without the loopback plugin even 127.0.0.1 is unreachable; and `runc run --detach` hands its
// stdio to the container, so a Node child with piped stdio never sees the end of its output and
// the call never returns - start it with stdio ignored (or files).
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CNI, loadNetworkList, type AttachedNetwork } from '../../dist/index.js';
import { addNetns, delNetns, netnsPath } from '../shared/netns.ts';
import { run, waitFor } from '../shared/system.ts';

/** One network a container joins: a network name in the config directory, and the interface. */
export interface NetworkRef {
  name: string;
  ifName: string;
  capabilityArgs?: Record<string, unknown>;
}

export interface TinyRuntimeOptions {
  /** Where the CNI plugins are. */
  cniPath: string[];
  /** The network config directory (`.conf` / `.conflist` files). */
  confDir: string;
  /** libcni's result cache. */
  cacheDir: string;
  /** Where bundles are written, one directory per container. */
  bundlesDir: string;
  /** runc's state directory (`runc --root`). */
  runcRoot: string;
}

export interface ContainerSpec {
  /** The container ID: also the CNI container ID. */
  id: string;
  /** Writes the root filesystem into the directory it is given. */
  rootfs: (dir: string) => Promise<void>;
  /** The container's command. */
  args: string[];
  networks: NetworkRef[];
}

export interface Container {
  id: string;
  netns: string;
  bundle: string;
  networks: AttachedNetwork[];
}

export class TinyRuntime {
  readonly #options: TinyRuntimeOptions;
  readonly #cni: CNI;

  constructor(options: TinyRuntimeOptions) {
    this.#options = options;
    this.#cni = new CNI({ path: options.cniPath, cacheDir: options.cacheDir });
  }

  #runc(args: readonly string[]): Promise<string> {
    return run('runc', ['--root', this.#options.runcRoot, ...args], { timeoutMs: 30_000 });
  }

  /** Namespace, networks, bundle. Undoes what it did when a step fails. */
  async create(spec: ContainerSpec): Promise<Container> {
    const netns = netnsPath(`tiny-${spec.id}`);
    const bundle = path.join(this.#options.bundlesDir, spec.id);
    await addNetns(`tiny-${spec.id}`);
    try {
      const networks = await Promise.all(
        spec.networks.map(async (network) => ({ ...network, list: await loadNetworkList(this.#options.confDir, network.name) })),
      );
      // All networks at once; when one fails, libcni detaches the others again before rejecting.
      const attached = await this.#cni.attachNetworks({ containerId: spec.id, netns }, networks);
      await this.#writeBundle(bundle, spec, netns);
      return { id: spec.id, netns, bundle, networks: attached };
    } catch (error) {
      await this.remove(spec.id).catch(() => undefined);
      throw error;
    }
  }

  async #writeBundle(bundle: string, spec: ContainerSpec, netns: string): Promise<void> {
    await mkdir(bundle, { recursive: true });
    await spec.rootfs(path.join(bundle, 'rootfs'));
    await run('runc', ['spec', '--bundle', bundle]); // runc's default config, adjusted below
    const file = path.join(bundle, 'config.json');
    const config = JSON.parse(await readFile(file, 'utf8')) as {
      process: { terminal: boolean; args: string[] };
      hostname: string;
      linux: { namespaces: { type: string; path?: string }[] };
    };
    config.process.terminal = false;
    config.process.args = spec.args;
    config.hostname = spec.id;
    // Join the namespace the networks were attached to instead of getting a fresh, empty one.
    config.linux.namespaces = config.linux.namespaces.map((entry) => (entry.type === 'network' ? { type: 'network', path: netns } : entry));
    await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  }

  /** Starts the container in the background. */
  async start(id: string): Promise<void> {
    const bundle = path.join(this.#options.bundlesDir, id);
    const args = ['--root', this.#options.runcRoot, 'run', '--detach', '--bundle', bundle, id];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('runc', args, { stdio: 'ignore' });
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve(exitCode));
    });
    if (code !== 0) throw new Error(`runc run --detach ${id} exited with ${code}`);
  }

  /** Runs a command in the running container and resolves to its output. */
  exec(id: string, args: string[]): Promise<string> {
    return this.#runc(['exec', id, ...args]);
  }

  async #status(id: string): Promise<string | undefined> {
    try {
      return (JSON.parse(await this.#runc(['state', id])) as { status: string }).status;
    } catch {
      return undefined; // no such container
    }
  }

  /** Stops the container (TERM, then KILL after `graceMs`) and deletes it from runc. */
  async stop(id: string, graceMs = 10_000): Promise<void> {
    const status = await this.#status(id);
    if (status === undefined) return;
    if (status === 'running') {
      await this.#runc(['kill', id, 'TERM']);
      const stopped = await waitFor(`${id} to stop`, async () => ((await this.#status(id)) === 'running' ? undefined : true), graceMs).catch(() => false);
      if (!stopped) await this.#runc(['kill', id, 'KILL']).catch(() => undefined);
    }
    await this.#runc(['delete', '--force', id]);
  }

  /**
   * Detaches every network, then deletes the namespace and the bundle. The networks come from
   * libcni's cache, config bytes included, so this works the same after the runtime restarted or
   * the config directory changed. When a detach fails, the namespace is kept so that a retry has
   * the same inputs.
   */
  async remove(id: string): Promise<void> {
    await this.#cni.detachNetworks({ containerId: id, netns: netnsPath(`tiny-${id}`) });
    await delNetns(`tiny-${id}`);
    await rm(path.join(this.#options.bundlesDir, id), { recursive: true, force: true });
  }
}
