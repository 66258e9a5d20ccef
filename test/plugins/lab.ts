// Throwaway network labs for the real-plugin and example tests.
//
// A lab owns a "host" namespace, any number of other namespaces, a temp directory and the daemons
// it starts. libcni runs in a child process inside the host namespace (cni-driver.mjs), so the
// bridges, veths, iptables rules and qdiscs the plugins make never reach the test runner's own
// network. `dispose()` stops the daemons by PID and deletes the namespaces and files; it also runs
// when the test process exits without calling it.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, openSync, closeSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PLUGIN_DIR = '/usr/lib/cni';
export const NETNS_DIR = '/var/run/netns';
const DRIVER = fileURLToPath(new URL('./cni-driver.mjs', import.meta.url));
export const BUILT_LIBRARY = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** The Debian package of each command the tests use. */
export const PACKAGE_OF: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  tc: 'iproute2',
  iptables: 'iptables',
  busybox: 'busybox-static',
  dnsmasq: 'dnsmasq',
  runc: 'runc',
  docker: 'docker.io',
  dockerd: 'docker.io',
  tar: 'tar',
  nsenter: 'util-linux',
};

function onPath(name: string): boolean {
  return (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((dir) => {
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Throws (so the tests fail, not skip) with one message that names everything missing and the
 * apt-get command that installs it.
 */
export function requireEnvironment(needs: { plugins?: readonly string[]; tools?: readonly string[] }): void {
  const problems: string[] = [];
  const packages = new Set<string>();
  if (process.platform !== 'linux') problems.push('Linux network namespaces');
  if (process.getuid?.() !== 0) problems.push('root (the tests create network namespaces)');
  for (const tool of ['ip', ...(needs.tools ?? [])]) {
    if (!onPath(tool)) {
      problems.push(`the \`${tool}\` command`);
      packages.add(PACKAGE_OF[tool] ?? tool);
    }
  }
  for (const plugin of needs.plugins ?? []) {
    if (!existsSync(path.join(PLUGIN_DIR, plugin))) {
      problems.push(`the ${plugin} plugin in ${PLUGIN_DIR}`);
      packages.add('containernetworking-plugins');
    }
  }
  if (!existsSync(BUILT_LIBRARY)) problems.push('the built library (run `npm run build` first)');
  if (problems.length === 0) return;
  const install = packages.size > 0 ? `; install with: apt-get install -y ${[...packages].join(' ')}` : '';
  throw new Error(`these tests need ${problems.join(', ')}${install}`);
}

export interface Output {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command (killed after `timeoutMs`); never rejects for a non-zero exit. */
export function exec(file: string, args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a command and resolves to its stdout; rejects with its stderr on a non-zero exit. */
export async function sh(file: string, args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const out = await exec(file, args, options);
  if (out.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${out.code}): ${out.stderr.trim() || out.stdout.trim()}`);
  return out.stdout;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  if (!alive(pid)) return;
  process.kill(pid, 'SIGKILL');
  for (let tries = 0; tries < 200 && alive(pid); tries++) await new Promise((resolve) => setTimeout(resolve, 25));
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface RuntimeConf {
  containerId: string;
  netns?: string;
  ifName: string;
  args?: [string, string][] | Record<string, string>;
  capabilityArgs?: Record<string, unknown>;
}

export interface DriverError {
  name: string;
  message: string;
  code?: string;
  cniCode?: number;
  plugin?: string;
  network?: string;
  command?: string;
  msg?: string;
  stderr?: string;
  rollback?: { ok: boolean; message?: string };
  errors?: DriverError[];
}

export type DriverOp = { ok: true; value: unknown; ms: number } | { ok: false; error: DriverError; ms: number };
export type Op = { op: 'add' | 'check' | 'del' | 'cached'; file: string; rt: RuntimeConf };

/** A result as the 1.0.0 plugins return it. */
export interface Result {
  cniVersion: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  routes?: { dst: string; gw?: string }[];
  dns?: Record<string, unknown>;
}

export interface IpLink {
  ifname: string;
  address?: string;
  mtu?: number;
  flags?: string[];
  operstate?: string;
  master?: string;
  promiscuity?: number;
  linkinfo?: { info_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

const openLabs = new Set<Lab>();
let labCount = 0;

// Last resort when the process ends without dispose(): synchronous, best effort.
process.once('exit', () => {
  for (const lab of openLabs) lab.disposeSync();
});

export class Lab {
  /** A prefix unique to this lab, for namespace names. */
  readonly prefix: string;
  readonly dir: string;
  readonly host: string;
  readonly cacheDir: string;
  readonly confDir: string;
  readonly #namespaces: string[] = [];
  readonly #pids: number[] = [];
  #disposed = false;

  private constructor(prefix: string, dir: string) {
    this.prefix = prefix;
    this.dir = dir;
    this.host = `${prefix}host`;
    this.cacheDir = path.join(dir, 'cache');
    this.confDir = path.join(dir, 'net.d');
  }

  /** A temp directory and a host namespace with `lo` up. */
  static async create(tag: string): Promise<Lab> {
    const prefix = `lp${process.pid}-${++labCount}${tag}-`;
    const lab = new Lab(prefix, await mkdtemp(path.join(tmpdir(), `libcni-plugins-${tag}-`)));
    openLabs.add(lab);
    try {
      await mkdir(lab.confDir);
      await lab.netns('host');
    } catch (error) {
      await lab.dispose();
      throw error;
    }
    return lab;
  }

  /** Creates the namespace `<prefix><role>` (with `lo` up unless `loUp` is false) and returns its name. */
  async netns(role: string, options: { loUp?: boolean } = {}): Promise<string> {
    const name = `${this.prefix}${role}`;
    this.#namespaces.push(name);
    await sh('ip', ['netns', 'add', name]);
    if (options.loUp !== false) await sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** Deletes one of the lab's namespaces now. */
  async delNetns(name: string): Promise<void> {
    await exec('ip', ['netns', 'del', name]);
    this.#namespaces.splice(this.#namespaces.indexOf(name), 1);
  }

  path(name: string): string {
    return path.join(NETNS_DIR, name);
  }

  /** Writes a network config (object or text) to the lab's config directory. */
  async writeConf(file: string, content: object | string): Promise<string> {
    const target = path.join(this.confDir, file);
    await writeFile(target, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return target;
  }

  /** Runs libcni operations, in order, in a fresh process inside the host namespace. */
  async cni(ops: readonly Op[]): Promise<DriverOp[]> {
    const request = { cni: { path: [PLUGIN_DIR], cacheDir: this.cacheDir }, ops };
    const out = await exec('ip', ['netns', 'exec', this.host, process.execPath, DRIVER], { input: JSON.stringify(request), timeoutMs: 120_000 });
    if (out.code !== 0) throw new Error(`cni driver failed (${out.code}): ${out.stderr.trim()}`);
    return (JSON.parse(out.stdout) as { ops: DriverOp[] }).ops;
  }

  async #one(op: Op): Promise<unknown> {
    const [outcome] = await this.cni([op]);
    if (!outcome!.ok) {
      const error = outcome!.error;
      throw Object.assign(new Error(`${op.op.toUpperCase()} failed: ${error.message} [${error.code ?? error.name}]`), { driverError: error });
    }
    return outcome!.value;
  }

  add(file: string, rt: RuntimeConf): Promise<Result> {
    return this.#one({ op: 'add', file, rt }) as Promise<Result>;
  }

  async check(file: string, rt: RuntimeConf): Promise<void> {
    await this.#one({ op: 'check', file, rt });
  }

  async del(file: string, rt: RuntimeConf): Promise<void> {
    await this.#one({ op: 'del', file, rt });
  }

  /** Runs the op and returns its error; throws when it succeeds. */
  async failure(op: Op): Promise<DriverError> {
    const [outcome] = await this.cni([op]);
    if (outcome!.ok) throw new Error(`expected ${op.op} to fail, it succeeded with ${JSON.stringify(outcome!.value)}`);
    return outcome!.error;
  }

  /** Runs a command inside one of the lab's namespaces. */
  in(netns: string, file: string, args: readonly string[], options?: { timeoutMs?: number }): Promise<string> {
    return sh('ip', ['netns', 'exec', netns, file, ...args], options);
  }

  /** `ip -j -d link show [dev]` in a namespace. */
  async links(netns: string, dev?: string): Promise<IpLink[]> {
    const text = await sh('ip', ['-n', netns, '-j', '-d', 'addr', 'show', ...(dev ? ['dev', dev] : [])]);
    return JSON.parse(text.trim() || '[]') as IpLink[];
  }

  /** The IPv4 addresses (CIDR) of a link in a namespace. */
  async addresses(netns: string, dev: string): Promise<string[]> {
    const [link] = await this.links(netns, dev);
    return (link?.addr_info ?? []).filter((entry) => entry.family === 'inet').map((entry) => `${entry.local}/${entry.prefixlen}`);
  }

  /** One ICMP echo with busybox ping (from `source`, when given); true when answered. */
  async ping(netns: string, address: string, source?: string): Promise<boolean> {
    const from = source === undefined ? [] : ['-I', source];
    const out = await exec('ip', ['netns', 'exec', netns, 'busybox', 'ping', '-c', '1', '-W', '2', ...from, address], { timeoutMs: 10_000 });
    return out.code === 0;
  }

  /** `iptables -t <table> -S` in a namespace. */
  async iptables(netns: string, table: string): Promise<string[]> {
    const out = await exec('ip', ['netns', 'exec', netns, 'iptables', '-t', table, '-S']);
    return out.stdout.split('\n').filter((line) => line !== '');
  }

  /**
   * Starts a daemon inside a namespace (`ip netns exec` replaces itself with the daemon, so the PID
   * is the daemon's). It is stopped by that PID in `dispose()`.
   */
  async daemon(netns: string, file: string, args: readonly string[], logName: string): Promise<number> {
    const log = openSync(path.join(this.dir, logName), 'a');
    try {
      const child = spawn('ip', ['netns', 'exec', netns, file, ...args], { stdio: ['ignore', log, log], detached: true });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.once('spawn', () => resolve(child.pid!));
      });
      child.unref();
      this.#pids.push(pid);
      return pid;
    } finally {
      closeSync(log);
    }
  }

  /** Stops one daemon now. */
  async stop(pid: number): Promise<void> {
    await stopPid(pid);
    this.#pids.splice(this.#pids.indexOf(pid), 1);
  }

  /** Address files host-local still holds under `dataDir`. */
  async reservations(dataDir: string): Promise<string[]> {
    const found: string[] = [];
    for (const network of await readdir(dataDir).catch(() => [] as string[])) {
      for (const name of await readdir(path.join(dataDir, network)).catch(() => [] as string[])) {
        if (isIP(name) !== 0) found.push(`${network}/${name}`);
      }
    }
    return found;
  }

  /** Cached results in the lab's cache directory (of one container, when given). */
  async cachedResults(containerId?: string): Promise<string[]> {
    const names = await readdir(path.join(this.cacheDir, 'results')).catch(() => [] as string[]);
    return containerId === undefined ? names : names.filter((name) => name.includes(`-${containerId}-`));
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const pid of this.#pids.splice(0).reverse()) await stopPid(pid).catch(() => undefined);
    for (const name of this.#namespaces.splice(0).reverse()) await exec('ip', ['netns', 'del', name]).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
    openLabs.delete(this);
  }

  disposeSync(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const pid of this.#pids.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const name of this.#namespaces.splice(0).reverse()) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
