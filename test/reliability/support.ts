// Shared pieces of the reliability tests: a throwaway CNI world per test (plugin dir, cache dir,
// config dir, a record dir the fake plugins log into), worker processes that run the built library,
// and the checks for what a test left behind (cache files, lock files, processes).

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, onTestFinished } from 'vitest';
import { CNI, parseConfList, type CNIOptions, type NetworkConfigList } from '../../src/index.js';

/** The fake plugins of these tests. */
export const PLUGINS = fileURLToPath(new URL('../../fixtures/plugins/reliability/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url));

/** Where a private copy of the built library lives: `index` and the cache module. */
export interface BuiltLibrary {
  index: string;
  cache: string;
}

let library: Promise<BuiltLibrary> | undefined;
let libraryDir: string | undefined;

// The copy lives as long as the test file that made it.
afterAll(async () => {
  if (libraryDir !== undefined) await rm(libraryDir, { recursive: true, force: true });
});

// The relative imports of the copied files that do not resolve: a copy taken mid-build lacks some.
async function unresolvedImports(dist: string): Promise<string[]> {
  const missing: string[] = [];
  const files = (await readdir(dist, { recursive: true })).filter((name) => name.endsWith('.js'));
  if (!files.includes('index.js')) return ['index.js'];
  for (const name of files) {
    const text = await readFile(path.join(dist, name), 'utf8');
    for (const [, target] of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const resolved = path.join(dist, path.dirname(name), target!);
      if (!existsSync(resolved)) missing.push(path.relative(dist, resolved));
    }
  }
  return missing;
}

async function copyLibrary(): Promise<BuiltLibrary> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cni-rel-dist-'));
  libraryDir = dir;
  const dist = path.join(dir, 'dist');
  for (let attempt = 0; ; attempt++) {
    try {
      await rm(dist, { recursive: true, force: true });
      await cp(path.join(ROOT, 'dist'), dist, { recursive: true });
      const missing = await unresolvedImports(dist);
      if (missing.length > 0) throw new Error(`dist/ lacks ${missing.join(', ')}`);
      break;
    } catch (error) {
      if (attempt >= 20) throw new Error(`cannot copy the built library (run \`npm run build\` first): ${(error as Error).message}`);
      await sleep(250);
    }
  }
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return { index: path.join(dist, 'index.js'), cache: path.join(dist, 'cache', 'cache.js') };
}

/**
 * A copy of `dist/` that child processes import, taken once per test file: a rebuild running at
 * the same time (it empties `dist/` first) cannot pull it away under them.
 */
export function builtLibrary(): Promise<BuiltLibrary> {
  library ??= copyLibrary();
  return library;
}

/** The variable every plugin of one world gets; a process carrying it was started by that world. */
export const TAG_VARIABLE = 'LIBCNI_RELIABILITY_TAG';

/** One line of the log the `rec` plugin (and the worker) write. */
export interface LogLine {
  phase: 'start' | 'end' | 'want';
  command: string;
  containerId: string;
  ifName: string;
  pid: number;
}

/** What a test left behind. Every list is empty after a clean run. */
export interface Leftovers {
  cacheFiles: string[];
  /** Temporary files of interrupted cache writes (names starting with a dot). */
  tempFiles: string[];
  /** Files under `<cacheDir>/locks`. */
  lockFiles: string[];
  /** Processes whose environment carries this world's tag. */
  processes: number[];
}

export interface World {
  root: string;
  binDir: string;
  cacheDir: string;
  confDir: string;
  /** `REL_DIR` of the plugins: their log and PID files. */
  recDir: string;
  tag: string;
  /** Puts fixture `fixture` on the CNI path as `name` (a symlink, or a copy with `copy`). */
  install(name: string, fixture?: string, options?: { copy?: boolean }): Promise<string>;
  /** A list of the given plugin types (objects may add keys), with its text. */
  list(plugins: readonly (string | Record<string, unknown>)[], options?: { name?: string; version?: string }): { list: NetworkConfigList; text: string };
  /** The environment the plugins of this world get besides `CNI_*`. */
  env(): Record<string, string>;
  cni(options?: CNIOptions): CNI;
  log(): Promise<LogLine[]>;
  leftovers(): Promise<Leftovers>;
}

async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries.filter((entry) => !entry.isDirectory()).map((entry) => path.join(entry.parentPath, entry.name)).sort();
}

/** PIDs of the processes whose environment holds `name=value`. */
export async function processesWith(name: string, value: string): Promise<number[]> {
  const needle = Buffer.from(`\0${name}=${value}\0`);
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = Buffer.concat([Buffer.from([0]), await readFile(`/proc/${entry}/environ`), Buffer.from([0])]);
      if (environ.includes(needle)) found.push(Number(entry));
    } catch {
      // gone, or a kernel thread
    }
  }
  return found;
}

/** The state letter of a process (`R`, `S`, `Z`, ...), or undefined when it is gone. */
export async function processState(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2];
  } catch {
    return undefined;
  }
}

/** True while `pid` runs; a zombie counts as gone. */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/** Polls `check` until it holds; false if it still does not after `limitMs`. */
export async function eventually(check: () => Promise<boolean> | boolean, limitMs = 3_000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
}

/** Waits for a file and returns its text; throws after `limitMs`. */
export async function waitForFile(file: string, limitMs = 5_000): Promise<string> {
  let text = '';
  const found = await eventually(async () => {
    try {
      text = await readFile(file, 'utf8');
      return text !== '';
    } catch {
      return false;
    }
  }, limitMs);
  if (!found) throw new Error(`${file} did not appear within ${limitMs} ms`);
  return text;
}

function parseLog(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [phase, command, containerId, ifName, pid] = line.split(' ');
      return { phase: phase as LogLine['phase'], command: command!, containerId: containerId!, ifName: ifName!, pid: Number(pid) };
    });
}

/** The largest number of plugin runs that were between their start and end line at once. */
export function maxOverlap(lines: readonly LogLine[]): number {
  let running = 0;
  let most = 0;
  for (const line of lines) {
    if (line.phase === 'start') most = Math.max(most, ++running);
    else if (line.phase === 'end') running--;
  }
  return most;
}

/** Plugin runs as `"ADD ctr1"` strings in the order they started. */
export function starts(lines: readonly LogLine[], commands?: readonly string[]): string[] {
  return lines
    .filter((line) => line.phase === 'start' && (!commands || commands.includes(line.command)))
    .map((line) => `${line.command} ${line.containerId}`);
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Kills processes of a world that are still running (by PID, after checking their tag). */
async function killTagged(tag: string): Promise<void> {
  for (const pid of await processesWith(TAG_VARIABLE, tag)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/** Creates a world under the OS temp dir; it is removed, and its processes killed, when the test ends. */
export async function createWorld(): Promise<World> {
  const root = await mkdtemp(path.join(tmpdir(), 'cni-rel-'));
  const binDir = path.join(root, 'bin');
  const cacheDir = path.join(root, 'cache');
  const confDir = path.join(root, 'net.d');
  const recDir = path.join(root, 'rec');
  await Promise.all([binDir, confDir, recDir, path.join(recDir, 'leases')].map((dir) => mkdir(dir, { recursive: true })));
  const tag = randomBytes(8).toString('hex');
  onTestFinished(async () => {
    await killTagged(tag);
    await rm(root, { recursive: true, force: true });
  });
  const env = () => ({ REL_DIR: recDir, [TAG_VARIABLE]: tag });
  return {
    root,
    binDir,
    cacheDir,
    confDir,
    recDir,
    tag,
    async install(name, fixture = name, options = {}) {
      const file = path.join(binDir, name);
      if (options.copy) await copyFile(path.join(PLUGINS, fixture), file);
      else await symlink(path.join(PLUGINS, fixture), file);
      return file;
    },
    list(plugins, options = {}) {
      const text = JSON.stringify({
        cniVersion: options.version ?? '1.0.0',
        name: options.name ?? 'relnet',
        plugins: plugins.map((plugin) => (typeof plugin === 'string' ? { type: plugin } : plugin)),
      });
      return { list: parseConfList(text), text };
    },
    env,
    cni(options = {}) {
      return new CNI({ path: [binDir], cacheDir, ...options, extraEnv: { ...env(), ...options.extraEnv } });
    },
    async log() {
      try {
        return parseLog(await readFile(path.join(recDir, 'log'), 'utf8'));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    },
    async leftovers() {
      const results = await listFiles(path.join(cacheDir, 'results'));
      return {
        cacheFiles: results.filter((file) => !path.basename(file).startsWith('.')),
        tempFiles: results.filter((file) => path.basename(file).startsWith('.')),
        lockFiles: await listFiles(path.join(cacheDir, 'locks')),
        processes: await processesWith(TAG_VARIABLE, tag),
      };
    },
  };
}

/** Leftovers with nothing in them, for `toEqual`. */
export const NOTHING_LEFT: Leftovers = { cacheFiles: [], tempFiles: [], lockFiles: [], processes: [] };

/** Waits (briefly) for plugin processes to be gone, then returns what is left. */
export async function settledLeftovers(world: World): Promise<Leftovers> {
  await eventually(async () => (await processesWith(TAG_VARIABLE, world.tag)).length === 0, 3_000);
  return world.leftovers();
}

/** Waits until the log has a line matching `match`. */
export async function waitForLog(world: World, match: Partial<LogLine>, limitMs = 5_000): Promise<LogLine> {
  let found: LogLine | undefined;
  const ok = await eventually(async () => {
    found = (await world.log()).find((line) => Object.entries(match).every(([key, value]) => line[key as keyof LogLine] === value));
    return found !== undefined;
  }, limitMs);
  if (!ok || !found) throw new Error(`no log line like ${JSON.stringify(match)} within ${limitMs} ms`);
  return found;
}

/** What a worker reports about one operation. */
export type WorkerResult = { ok: true; value: unknown } | { ok: false; code?: string; message: string };

export interface WorkerOp {
  op: 'add' | 'del' | 'check' | 'gc';
  rt?: { containerId: string; ifName: string; netns?: string; args?: Record<string, string> };
  options?: { timeout?: number };
  validAttachments?: { containerId: string; ifName: string }[];
}

export interface Worker {
  /** The process spawned: the worker, or with `zombieParent` the shell that became its parent. */
  child: ChildProcess;
  /** The worker's PID; known once `ready` resolved. */
  pid: number;
  /** Resolves once the worker has loaded the library and waits for `go`. */
  ready: Promise<void>;
  go(): void;
  /** Resolves with one result per op when the worker exits (partial if it was killed). */
  done: Promise<{ results: WorkerResult[]; code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Kills the worker (and its shell parent), by PID. */
  kill(): void;
}

/**
 * Starts a process that runs `ops` with the built library on this world's cache and plugins.
 * `zombieParent` starts it under a shell that then sleeps without ever reaping it, so that once
 * killed the worker stays a zombie.
 */
export async function startWorker(
  world: World,
  listText: string,
  ops: readonly WorkerOp[],
  cniOptions: Record<string, unknown> = {},
  options: { zombieParent?: boolean } = {},
): Promise<Worker> {
  const request = {
    library: (await builtLibrary()).index,
    cni: { path: [world.binDir], cacheDir: world.cacheDir, extraEnv: world.env(), ...cniOptions },
    list: listText,
    log: path.join(world.recDir, 'log'),
    ops,
  };
  const args = [WORKER, JSON.stringify(request)];
  const child = options.zombieParent
    ? spawn('/bin/sh', ['-c', 'exec 3<&0; "$@" <&3 3<&- & exec sleep 30 < /dev/null > /dev/null 2>&1 3<&-', 'sh', process.execPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error('worker could not be started');
  let stdout = '';
  let stderr = '';
  let closed = false;
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const worker: Worker = {
    child,
    pid: child.pid,
    ready,
    go: () => child.stdin!.write('go\n'),
    done: new Promise((resolve) => {
      child.on('close', (code, signal) => {
        closed = true;
        const results = stdout
          .split('\n')
          .slice(1)
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as WorkerResult);
        resolve({ results, code, signal, stderr });
      });
    }),
    kill() {
      if (closed) return;
      const pids = [child.pid!];
      // The worker itself, when a shell started it: only while its PID still names a worker.
      if (worker.pid !== child.pid && readCmdline(worker.pid).includes(WORKER)) pids.unshift(worker.pid);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const match = /^ready (\d+)\n/.exec(stdout);
    if (match) {
      worker.pid = Number(match[1]);
      onReady();
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin!.on('error', () => {});
  onTestFinished(() => worker.kill());
  return worker;
}
