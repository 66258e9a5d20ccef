import { constants, existsSync } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { defaultExecutor, type PluginExecutor } from '../invoke/exec-plugin.js';

/** Where `ip netns add` puts the namespace files that plugins get as `CNI_NETNS`. */
export const NETNS_DIR = '/var/run/netns';

let counter = 0;

async function findIp(): Promise<string | undefined> {
  const dirs = [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs.filter(Boolean)) {
    const file = path.join(dir, 'ip');
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The throwaway world of one conformance run: a temp dir, a "host" network namespace where every
 * plugin runs, and "container" namespaces. `dispose()` removes all of it.
 */
export class Sandbox {
  readonly dir: string;
  readonly host: string;
  readonly #ip: string;
  readonly #prefix: string;
  readonly #namespaces: string[] = [];
  readonly #wrappers = new Map<string, Promise<string>>();
  #containers = 0;

  private constructor(dir: string, ip: string, prefix: string) {
    this.dir = dir;
    this.#ip = ip;
    this.#prefix = prefix;
    this.host = `${prefix}-host`;
  }

  /** Why a sandbox cannot be made here, or `undefined`. */
  static async unavailable(): Promise<string | undefined> {
    if (process.platform !== 'linux') return 'needs Linux network namespaces';
    if (process.getuid?.() !== 0) return 'needs root: it creates network namespaces and runs the plugin in them';
    if (!(await findIp())) return 'needs iproute2 (`ip`) on PATH';
    return undefined;
  }

  static async create(signal: AbortSignal | undefined): Promise<Sandbox> {
    const ip = await findIp();
    if (!ip) throw new Error('iproute2 (`ip`) not found');
    const prefix = `cnct-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;
    const sandbox = new Sandbox(await mkdtemp(path.join(tmpdir(), 'cni-conformance-')), ip, prefix);
    try {
      await sandbox.#addNamespace(sandbox.host, signal);
      await sandbox.ip(signal, '-n', sandbox.host, 'link', 'set', 'lo', 'up');
    } catch (error) {
      await sandbox.dispose();
      throw error;
    }
    return sandbox;
  }

  /** Runs `ip` with the arguments; throws with its stderr when it fails. */
  async ip(signal: AbortSignal | undefined, ...args: string[]): Promise<string> {
    const result = await execa(this.#ip, args, { reject: false, timeout: 20_000, ...(signal ? { cancelSignal: signal } : {}) });
    if (result.exitCode !== 0) throw new Error(`ip ${args.join(' ')} failed: ${String(result.stderr).trim() || result.shortMessage}`);
    return String(result.stdout);
  }

  async #addNamespace(name: string, signal: AbortSignal | undefined): Promise<void> {
    this.#namespaces.push(name);
    await this.ip(signal, 'netns', 'add', name);
  }

  /** A new container namespace; returns the path plugins get as `CNI_NETNS`. */
  async container(signal: AbortSignal | undefined): Promise<string> {
    const name = `${this.#prefix}-c${++this.#containers}`;
    await this.#addNamespace(name, signal);
    await this.ip(signal, '-n', name, 'link', 'set', 'lo', 'up');
    return path.join(NETNS_DIR, name);
  }

  /** A veth pair in the host namespace, both ends up, for plugins that need a master link. */
  async addLink(name: string, signal: AbortSignal | undefined): Promise<void> {
    await this.ip(signal, '-n', this.host, 'link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`);
    await this.ip(signal, '-n', this.host, 'link', 'set', name, 'up');
    await this.ip(signal, '-n', this.host, 'link', 'set', `${name}p`, 'up');
  }

  /** An executor that runs each plugin inside the host namespace (`ip netns exec`). */
  executor(): PluginExecutor {
    return {
      exec: async (request) => defaultExecutor.exec({ ...request, file: await this.#wrapper(request.file) }),
    };
  }

  // One small script per plugin binary: the executor's interface has no arguments to pass.
  #wrapper(file: string): Promise<string> {
    let wrapper = this.#wrappers.get(file);
    if (!wrapper) {
      wrapper = (async () => {
        const dir = path.join(this.dir, 'exec');
        await mkdir(dir, { recursive: true });
        const target = path.join(dir, `${this.#wrappers.size}-${path.basename(file)}`);
        await writeFile(target, `#!/bin/sh\nexec ${quote(this.#ip)} netns exec ${quote(this.host)} ${quote(file)}\n`);
        await chmod(target, 0o755);
        return target;
      })();
      this.#wrappers.set(file, wrapper);
    }
    return wrapper;
  }

  /**
   * Kills what plugins left running in the namespaces, deletes the namespaces (containers first)
   * and the temp dir. Returns what could not be removed.
   */
  async dispose(): Promise<string[]> {
    const problems: string[] = [];
    for (const name of [...this.#namespaces].reverse()) {
      if (!existsSync(path.join(NETNS_DIR, name))) continue;
      try {
        const pids = (await this.ip(undefined, 'netns', 'pids', name)).split(/\s+/).filter(Boolean).map(Number);
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await this.ip(undefined, 'netns', 'del', name);
      } catch (error) {
        problems.push(`namespace ${name}: ${(error as Error).message}`);
      }
    }
    this.#namespaces.length = 0;
    await rm(this.dir, { recursive: true, force: true }).catch((error: Error) => problems.push(`${this.dir}: ${error.message}`));
    return problems;
  }
}
