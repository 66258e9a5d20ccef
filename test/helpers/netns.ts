// Network namespace sandboxes for tests that run the real CNI plugins.
//
// Each sandbox owns a throwaway "host" namespace and any number of "container" namespaces. The
// library runs inside the host namespace (a child process started with `ip netns exec`), so the
// bridges, veth host ends and iptables rules the plugins create live there, and deleting the
// namespaces removes all of it. Nothing is created in the namespace of the test runner itself.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PLUGIN_DIR = '/usr/lib/cni';
export const NETNS_DIR = '/var/run/netns';

const DRIVER = fileURLToPath(new URL('../integration/driver.mjs', import.meta.url));
// LIBCNI_IT_DIST points the driver at another build of the library (e.g. one outside the tree).
const BUILT_LIBRARY = process.env['LIBCNI_IT_DIST'] ? path.resolve(process.env['LIBCNI_IT_DIST'], 'index.js') : fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** Prefix of every namespace this test process creates. */
export const NAME_PREFIX = `lcni-${process.pid}-`;

/**
 * Why the real-plugin tests cannot run here, or `undefined` when they can.
 * `plugins` are the plugin binaries the caller needs; `tools` extra commands (e.g. `iptables`).
 */
export function realPluginSkipReason(plugins: readonly string[], tools: readonly string[] = []): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'needs root: creates network namespaces and runs the real CNI plugins in them';
  if (spawnSync('ip', ['-V']).status !== 0) return 'needs iproute2 (`ip`)';
  for (const tool of tools) {
    if (spawnSync(tool, ['-V']).status !== 0) return `needs \`${tool}\``;
  }
  for (const plugin of plugins) {
    if (!existsSync(path.join(PLUGIN_DIR, plugin))) {
      return `needs the real ${plugin} plugin in ${PLUGIN_DIR} (package containernetworking-plugins)`;
    }
  }
  if (!existsSync(BUILT_LIBRARY)) return 'needs the built library in dist/ (run `npm run build` first, as `npm test` does)';
  return undefined;
}

export interface CommandOutput {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by `timeoutMs`); never throws for a non-zero exit. */
export function runCommand(
  file: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the child may exit before reading everything
    child.stdin.end(options.input ?? '');
  });
}

/** Runs `ip <args>` and returns its stdout; throws with stderr on failure. */
export async function ip(...args: string[]): Promise<string> {
  const out = await runCommand('ip', args);
  if (out.code !== 0) throw new Error(`ip ${args.join(' ')} failed (${out.code ?? out.signal}): ${out.stderr.trim()}`);
  return out.stdout;
}

/** Runs `ip -j <args>` and parses the JSON (an empty answer is an empty list). */
export async function ipJson<T = unknown[]>(...args: string[]): Promise<T> {
  const text = (await ip('-j', ...args)).trim();
  return JSON.parse(text === '' ? '[]' : text) as T;
}

export interface IpLink {
  ifname: string;
  address?: string;
  mtu?: number;
  master?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** `ip netns list`, names only. */
export async function listNamespaces(): Promise<string[]> {
  const entries = await ipJson<{ name: string }[]>('netns', 'list');
  return entries.map((entry) => entry.name);
}

/** Every link of a namespace (`undefined` = the test runner's own), with link kinds. */
export async function links(netns?: string): Promise<IpLink[]> {
  return netns === undefined ? ipJson<IpLink[]>('-d', 'link', 'show') : ipJson<IpLink[]>('-n', netns, '-d', 'link', 'show');
}

/** What a driver process reports about one operation. */
export interface DriverError {
  name: string;
  message: string;
  code?: string;
  cniCode?: number;
  plugin?: string;
  network?: string;
  command?: string;
  msg?: string;
  exitCode?: number;
  stderr?: string;
  rollback?: { ok: boolean; message?: string };
  errors?: DriverError[];
}

export type DriverOp = { ok: true; value: unknown; ms: number } | { ok: false; error: DriverError; ms: number };

export interface RuntimeConf {
  containerId: string;
  netns?: string;
  ifName: string;
  args?: Record<string, string> | [string, string][];
  capabilityArgs?: Record<string, unknown>;
}

export type DriverConfig = { file: string } | { dir: string; name: string } | { cachedContainerId: string };

export interface NetworkSpec {
  file: string;
  ifName: string;
  args?: Record<string, string> | [string, string][];
  capabilityArgs?: Record<string, unknown>;
}

export interface DriverRequest {
  config?: DriverConfig;
  /** More `CNI` constructor options (JSON-serialisable ones). */
  options?: { rollbackOnFailure?: boolean; pluginTimeout?: number };
  ops: (
    | { op: 'add' | 'check' | 'del' | 'cached'; rt: RuntimeConf; call?: { timeout?: number } }
    | { op: 'gc'; valid?: { containerId: string; ifName: string }[]; call?: { timeout?: number } }
    | { op: 'attach'; container: { containerId: string; netns?: string }; networks: NetworkSpec[]; call?: { timeout?: number; parallel?: boolean } }
    | { op: 'detach'; container: { containerId: string; netns?: string }; networks?: Pick<NetworkSpec, 'file' | 'ifName'>[]; call?: { timeout?: number } }
  )[];
  parallel?: boolean;
}

let counter = 0;

/** One test's namespaces, temp dirs and child processes. `dispose()` removes all of them. */
export class NetnsSandbox {
  /** Short unique tag, usable in link names. */
  readonly tag: string;
  readonly host: string;
  readonly dir: string;
  readonly cacheDir: string;
  /** host-local's `dataDir`. */
  readonly ipamDir: string;
  readonly confDir: string;
  /** A bridge name unique to this sandbox (at most 15 bytes). */
  readonly bridge: string;
  readonly #index: number;
  readonly #namespaces = new Set<string>();
  readonly #children = new Set<ChildProcess>();
  #counter = 0;

  private constructor(index: number, dir: string) {
    this.#index = index;
    this.tag = `${process.pid}-${index}`;
    this.host = `${NAME_PREFIX}${index}-host`;
    this.dir = dir;
    this.cacheDir = path.join(dir, 'cache');
    this.ipamDir = path.join(dir, 'ipam');
    this.confDir = path.join(dir, 'net.d');
    this.bridge = `lc${process.pid}b${index}`.slice(0, 15);
  }

  /** Creates the temp dir and the host namespace (with `lo` up). */
  static async create(): Promise<NetnsSandbox> {
    const index = ++counter;
    const dir = await mkdtemp(path.join(tmpdir(), `libcni-it-${process.pid}-${index}-`));
    const sandbox = new NetnsSandbox(index, dir);
    try {
      await mkdir(sandbox.confDir);
      await sandbox.#addNamespace(sandbox.host);
      await ip('-n', sandbox.host, 'link', 'set', 'lo', 'up');
    } catch (error) {
      await sandbox.dispose();
      throw error;
    }
    return sandbox;
  }

  async #addNamespace(name: string): Promise<void> {
    await ip('netns', 'add', name);
    this.#namespaces.add(name);
  }

  /** Creates a container namespace; returns its name and the path plugins get as `CNI_NETNS`. */
  async addContainer(): Promise<{ name: string; netns: string }> {
    const name = `${NAME_PREFIX}${this.#index}-c${++this.#counter}`;
    await this.#addNamespace(name);
    return { name, netns: path.join(NETNS_DIR, name) };
  }

  /** Deletes one of this sandbox's namespaces ahead of `dispose()`. */
  async deleteNamespace(name: string): Promise<void> {
    if (!this.#namespaces.has(name)) throw new Error(`namespace ${name} is not part of this sandbox`);
    await ip('netns', 'del', name);
    this.#namespaces.delete(name);
  }

  /** Writes a config file into `confDir` exactly as given and returns its path and bytes. */
  async writeConfig(fileName: string, text: string): Promise<{ file: string; bytes: Buffer }> {
    const file = path.join(this.confDir, fileName);
    const bytes = Buffer.from(text, 'utf8');
    await writeFile(file, bytes);
    return { file, bytes };
  }

  /** The addresses host-local holds for a network: the files of its data dir that are IPs. */
  async reservations(network: string): Promise<string[]> {
    try {
      const names = await readdir(path.join(this.ipamDir, network));
      return names.filter((name) => name !== 'lock' && !name.startsWith('last_reserved_ip')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** The cache file the library keeps for an attachment. */
  cacheFile(network: string, containerId: string, ifName = 'eth0'): string {
    return path.join(this.cacheDir, 'results', `${network}-${containerId}-${ifName}`);
  }

  /** The veth links in the host namespace. */
  async hostVeths(): Promise<IpLink[]> {
    return (await links(this.host)).filter((link) => link.linkinfo?.info_kind === 'veth');
  }

  /** `tc -j qdisc show dev <dev>` inside the host namespace. */
  async qdiscs(dev: string): Promise<{ kind: string; handle: string; parent?: string }[]> {
    const out = await runCommand('tc', ['-n', this.host, '-j', 'qdisc', 'show', 'dev', dev]);
    if (out.code !== 0) throw new Error(`tc qdisc show dev ${dev} failed: ${out.stderr.trim()}`);
    return JSON.parse(out.stdout.trim() || '[]') as { kind: string; handle: string; parent?: string }[];
  }

  /** `iptables -t <table> -S` inside the host namespace. */
  async iptables(table: string): Promise<string> {
    const out = await runCommand('ip', ['netns', 'exec', this.host, 'iptables', '-t', table, '-S']);
    if (out.code !== 0) throw new Error(`iptables -t ${table} -S failed: ${out.stderr.trim()}`);
    return out.stdout;
  }

  /**
   * Runs the library in a new process inside the host namespace (see driver.mjs), with the real
   * plugin dir on the CNI path and this sandbox's cache dir.
   */
  async driver(request: DriverRequest): Promise<DriverOp[]> {
    const { options, ...rest } = request;
    const input = JSON.stringify({ cni: { path: [PLUGIN_DIR], cacheDir: this.cacheDir, options }, library: BUILT_LIBRARY, ...rest });
    const out = await runCommand('ip', ['netns', 'exec', this.host, process.execPath, DRIVER], {
      input,
      timeoutMs: 25_000,
      onSpawn: (child) => {
        this.#children.add(child);
        child.on('close', () => this.#children.delete(child));
      },
    });
    let reply: { ops?: DriverOp[]; fatal?: DriverError };
    try {
      reply = JSON.parse(out.stdout) as typeof reply;
    } catch {
      throw new Error(`driver exited with ${out.code ?? out.signal} and printed no JSON; stdout: ${out.stdout}; stderr: ${out.stderr}`);
    }
    if (reply.fatal || !reply.ops) throw new Error(`driver failed: ${reply.fatal?.message ?? out.stderr}`);
    return reply.ops;
  }

  /** Kills this sandbox's driver processes, deletes its namespaces and its temp dir. */
  async dispose(): Promise<void> {
    for (const child of this.#children) {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // exited in the meantime
      }
    }
    const errors: unknown[] = [];
    for (const name of [...this.#namespaces].reverse()) {
      try {
        await ip('netns', 'del', name);
      } catch (error) {
        if (existsSync(path.join(NETNS_DIR, name))) errors.push(error);
      }
      this.#namespaces.delete(name);
    }
    await rm(this.dir, { recursive: true, force: true });
    if (errors.length > 0) throw new AggregateError(errors, `could not delete every namespace of sandbox ${this.tag}`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes namespaces that an earlier test process of this suite created and could not remove
 * because it was killed (their names carry its pid, and it is gone). Returns their names.
 */
export async function removeStaleNamespaces(): Promise<string[]> {
  const stale = (await listNamespaces()).filter((name) => {
    const pid = /^lcni-(\d+)-\d+-(host|c\d+)$/.exec(name)?.[1];
    return pid !== undefined && Number(pid) !== process.pid && !alive(Number(pid));
  });
  for (const name of stale) await ip('netns', 'del', name);
  return stale;
}

/**
 * What this test process left behind: its namespaces still listed, and links in the runner's own
 * namespace that did not exist at `baseline` time.
 */
export async function leftovers(baseline: readonly string[]): Promise<{ namespaces: string[]; links: string[] }> {
  const namespaces = (await listNamespaces()).filter((name) => name.startsWith(NAME_PREFIX));
  const known = new Set(baseline);
  const extra = (await links()).map((link) => link.ifname).filter((name) => !known.has(name));
  return { namespaces, links: extra };
}
