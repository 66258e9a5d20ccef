// `npm run soak`: many concurrent ADD/DEL cycles on distinct containers, then a check that nothing
// is left: no cache file, no lock file, no address reservation, no plugin process, no namespace or
// veth, file descriptors back to their baseline, heap in use after GC flat, and how much RSS grew.
//
//   node bench/soak.ts [--fake=1000] [--real=200]
//
// The fake phase runs two fake plugins that hold a "lease" file per attachment. The real phase
// runs bridge + host-local from /usr/lib/cni (needs root and the containernetworking-plugins
// package): the runtime runs inside a throwaway "host" network namespace with one namespace per
// container, host-local keeps its state in a temp dir, and every namespace is deleted at the end.
// Each phase's runtime is a child process (this file with --worker), so its descriptors and
// memory are measured alone.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Library from '../src/index.js';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..');
const FAKE_PLUGINS = path.join(ROOT, 'fixtures', 'plugins', 'reliability');
const REAL_PLUGINS = '/usr/lib/cni';
const NETNS_DIR = '/var/run/netns';
const TAG_VARIABLE = 'LIBCNI_SOAK_TAG';
/** A worker that has not finished after this long is killed and the phase fails. */
const WORKER_LIMIT_MS = 15 * 60_000;
// RSS grows with the peak of 1,000 operations in flight (V8 keeps the heap it committed; a second
// round stays at the same level), so it is only bounded loosely. A leak shows in the heap still
// used after a full GC, which must stay flat.
const RSS_GROWTH_LIMIT_MB = 256;
const HEAP_GROWTH_LIMIT_MB = 8;

export interface SoakOptions {
  /** ADD/DEL cycles with fake plugins. */
  fake: number;
  /** ADD/DEL cycles with bridge + host-local; 0 skips the phase. */
  real: number;
  /** The built library's index.js. @default dist/index.js */
  library?: string | undefined;
  /** Plugin chains run at once by the library. @default 16 */
  concurrency?: number | undefined;
  log?: ((line: string) => void) | undefined;
}

/** What a phase left, each list empty after a clean run. */
export interface Leftovers {
  cacheFiles: string[];
  lockFiles: string[];
  /** Fake leases or host-local address files. */
  reservations: string[];
  processes: number[];
  namespaces: string[];
  /** veths left in the host namespace (real phase). */
  links: string[];
}

export interface PhaseReport {
  phase: 'fake' | 'real';
  cycles: number;
  /** Distinct addresses handed out by the ADDs (one per cycle for host-local). */
  addresses: number;
  failed: number;
  /** The first few failure messages. */
  failures: string[];
  seconds: number;
  fdsBefore: number;
  fdsAfter: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  heapBeforeMb: number;
  heapAfterMb: number;
  left: Leftovers;
}

export interface SoakReport {
  phases: PhaseReport[];
  /** Phases that did not run, and why. */
  skipped: string[];
  /** Everything that is not as it should be; empty for a clean soak. */
  problems: string[];
}

/** Why the real phase cannot run here, or undefined when it can. */
export function realSoakProblem(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'needs root (creates network namespaces)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'needs iproute2 (`ip`)';
  for (const plugin of ['bridge', 'host-local']) {
    if (!existsSync(path.join(REAL_PLUGINS, plugin))) return `needs ${REAL_PLUGINS}/${plugin} (package containernetworking-plugins)`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Worker: runs the cycles in its own process and measures itself.

interface WorkerSpec {
  library: string;
  cni: { path: string[]; cacheDir: string; extraEnv: Record<string, string>; concurrency: number };
  list: string;
  /** One netns path per cycle, plus one for the warm-up cycle at the end; fake paths when absent. */
  netns: string[] | undefined;
  cycles: number;
  prefix: string;
}

interface WorkerReport {
  /** Distinct addresses the ADD results held. */
  addresses: number;
  failed: number;
  failures: string[];
  seconds: number;
  fdsBefore: number;
  fdsAfter: number;
  rssBefore: number;
  rssAfter: number;
  heapBefore: number;
  heapAfter: number;
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function worker(specFile: string): Promise<void> {
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as WorkerSpec;
  const lib = (await import(pathToFileURL(spec.library).href)) as typeof Library;
  const cni = new lib.CNI(spec.cni);
  const list = lib.parseConfList(spec.list);
  const failures: string[] = [];
  const addresses = new Set<string>();
  const rtOf = (index: number, name: string) => ({
    containerId: `${spec.prefix}${name}`,
    ifName: 'eth0',
    netns: spec.netns?.[index] ?? `/var/run/netns/soak-fake-${name}`,
  });
  const cycle = async (index: number, name: string) => {
    const rt = rtOf(index, name);
    for (const step of ['add', 'del'] as const) {
      try {
        if (step === 'add') {
          const result = (await cni.addNetworkList(list, rt)) as Library.Result100;
          for (const ip of result.ips ?? []) addresses.add(ip.address);
        } else {
          await cni.delNetworkList(list, rt);
        }
      } catch (error) {
        failures.push(`${step} ${rt.containerId}: ${(error as Error).message}`);
      }
    }
  };

  // One cycle first, so that lazily created things (the bridge, libuv's signal pipe, JIT code)
  // are part of the baseline.
  await cycle(spec.cycles, 'warmup');
  addresses.clear();
  collect();
  const fdsBefore = openFds();
  const before = process.memoryUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: spec.cycles }, (_, index) => cycle(index, String(index))));
  const seconds = (performance.now() - started) / 1000;
  // Pipes of the last plugins close a moment after they exit.
  for (let waited = 0; openFds() > fdsBefore && waited < 3_000; waited += 20) await sleep(20);
  collect();
  const after = process.memoryUsage();
  const report: WorkerReport = {
    addresses: addresses.size,
    failed: failures.length,
    failures: failures.slice(0, 5),
    seconds,
    fdsBefore,
    fdsAfter: openFds(),
    rssBefore: before.rss,
    rssAfter: after.rss,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Parent: sets up a phase, runs its worker, checks what is left.

async function filesUnder(dir: string, keep: (name: string) => boolean = () => true): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true, recursive: true });
    return entries.filter((entry) => !entry.isDirectory() && keep(entry.name)).map((entry) => path.join(entry.parentPath, entry.name)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function taggedProcesses(tag: string): Promise<number[]> {
  const needle = Buffer.from(`\0${TAG_VARIABLE}=${tag}\0`);
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

/** Processes of this soak still running a few seconds after the worker ended; killed, by PID. */
async function leftoverProcesses(tag: string): Promise<number[]> {
  let pids = await taggedProcesses(tag);
  for (let waited = 0; pids.length > 0 && waited < 3_000; waited += 50) {
    await sleep(50);
    pids = await taggedProcesses(tag);
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function run(command: string, args: readonly string[], input?: string): string {
  const result = spawnSync(command, args, { input, encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.error?.message || result.status}`);
  return result.stdout;
}

/** Runs the worker (under `wrapper` if given) and returns its report. */
function runWorker(wrapper: readonly string[], specFile: string): Promise<WorkerReport> {
  const argv = [...wrapper, process.execPath, '--expose-gc', '--no-warnings', SELF, '--worker', specFile];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, WORKER_LIMIT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((text) => text.startsWith('{'));
      if (code !== 0 || !line) reject(new Error(`soak worker exited with ${code ?? signal}: ${stderr.trim() || stdout.trim()}`));
      else resolve(JSON.parse(line) as WorkerReport);
    });
  });
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

function phaseReport(phase: PhaseReport['phase'], cycles: number, worker: WorkerReport, left: Leftovers): PhaseReport {
  return {
    phase,
    cycles,
    addresses: worker.addresses,
    failed: worker.failed,
    failures: worker.failures,
    seconds: Math.round(worker.seconds * 10) / 10,
    fdsBefore: worker.fdsBefore,
    fdsAfter: worker.fdsAfter,
    rssBeforeMb: mb(worker.rssBefore),
    rssAfterMb: mb(worker.rssAfter),
    heapBeforeMb: mb(worker.heapBefore),
    heapAfterMb: mb(worker.heapAfter),
    left,
  };
}

interface Phase {
  root: string;
  tag: string;
  cacheDir: string;
}

async function newPhase(name: string): Promise<Phase> {
  const root = await mkdtemp(path.join(tmpdir(), `libcni-soak-${name}-`));
  const cacheDir = path.join(root, 'cache');
  return { root, tag: randomBytes(8).toString('hex'), cacheDir };
}

async function writeSpec(phase: Phase, spec: WorkerSpec): Promise<string> {
  const file = path.join(phase.root, 'spec.json');
  await writeFile(file, JSON.stringify(spec));
  return file;
}

async function fakePhase(cycles: number, library: string, concurrency: number): Promise<PhaseReport> {
  const phase = await newPhase('fake');
  try {
    const binDir = path.join(phase.root, 'bin');
    const recDir = path.join(phase.root, 'rec');
    await mkdir(binDir);
    await mkdir(path.join(recDir, 'leases'), { recursive: true });
    for (const name of ['lease-a', 'lease-b']) await symlink(path.join(FAKE_PLUGINS, 'lease'), path.join(binDir, name));
    const list = JSON.stringify({ cniVersion: '1.0.0', name: 'soakfake', plugins: [{ type: 'lease-a' }, { type: 'lease-b' }] });
    const specFile = await writeSpec(phase, {
      library,
      cni: { path: [binDir], cacheDir: phase.cacheDir, extraEnv: { REL_DIR: recDir, [TAG_VARIABLE]: phase.tag }, concurrency },
      list,
      netns: undefined,
      cycles,
      prefix: 'soak-',
    });
    const report = await runWorker([], specFile);
    const left: Leftovers = {
      cacheFiles: await filesUnder(path.join(phase.cacheDir, 'results')),
      lockFiles: await filesUnder(path.join(phase.cacheDir, 'locks')),
      reservations: await filesUnder(path.join(recDir, 'leases')),
      processes: await leftoverProcesses(phase.tag),
      namespaces: [],
      links: [],
    };
    return phaseReport('fake', cycles, report, left);
  } finally {
    await leftoverProcesses(phase.tag).catch(() => []);
    await rm(phase.root, { recursive: true, force: true });
  }
}

function namespacesWithPrefix(prefix: string): string[] {
  return existsSync(NETNS_DIR) ? readdirSync(NETNS_DIR).filter((name) => name.startsWith(prefix)) : [];
}

function deleteNamespaces(names: readonly string[]): void {
  if (names.length > 0) spawnSync('ip', ['-force', '-batch', '-'], { input: names.map((name) => `netns del ${name}\n`).join(''), timeout: 120_000 });
}

async function realPhase(cycles: number, library: string, concurrency: number): Promise<PhaseReport> {
  const phase = await newPhase('real');
  const prefix = `lcni-soak-${process.pid}-${phase.tag.slice(0, 4)}-`;
  const host = `${prefix}host`;
  const containers = Array.from({ length: cycles + 1 }, (_, index) => `${prefix}c${index}`);
  try {
    const ipamDir = path.join(phase.root, 'ipam');
    // One `ip` process for all namespaces (the prefix is unique to this run).
    run('ip', ['-batch', '-'], [host, ...containers].map((name) => `netns add ${name}\n`).join(''));
    run('ip', ['-n', host, 'link', 'set', 'lo', 'up']);
    const list = JSON.stringify({
      cniVersion: '1.0.0',
      name: 'soaknet',
      plugins: [
        {
          type: 'bridge',
          bridge: 'soakbr0',
          isGateway: true,
          ipMasq: false,
          ipam: { type: 'host-local', dataDir: ipamDir, ranges: [[{ subnet: '10.197.0.0/16' }]], routes: [{ dst: '0.0.0.0/0' }] },
        },
      ],
    });
    const specFile = await writeSpec(phase, {
      library,
      cni: { path: [REAL_PLUGINS], cacheDir: phase.cacheDir, extraEnv: { [TAG_VARIABLE]: phase.tag }, concurrency },
      list,
      netns: containers.map((name) => path.join(NETNS_DIR, name)),
      cycles,
      prefix: 'soak-',
    });
    const report = await runWorker(['ip', 'netns', 'exec', host], specFile);
    const veths = JSON.parse(run('ip', ['-n', host, '-j', 'link', 'show', 'type', 'veth']) || '[]') as { ifname: string }[];
    const left: Leftovers = {
      cacheFiles: await filesUnder(path.join(phase.cacheDir, 'results')),
      lockFiles: await filesUnder(path.join(phase.cacheDir, 'locks')),
      reservations: await filesUnder(path.join(ipamDir, 'soaknet'), (name) => name !== 'lock' && !name.startsWith('last_reserved_ip')),
      processes: await leftoverProcesses(phase.tag),
      namespaces: [],
      links: veths.map((link) => link.ifname),
    };
    deleteNamespaces(namespacesWithPrefix(prefix));
    left.namespaces = namespacesWithPrefix(prefix);
    return phaseReport('real', cycles, report, left);
  } finally {
    await leftoverProcesses(phase.tag).catch(() => []);
    deleteNamespaces(namespacesWithPrefix(prefix));
    await rm(phase.root, { recursive: true, force: true });
  }
}

function problemsOf(report: PhaseReport): string[] {
  const problems: string[] = [];
  const name = `${report.phase} phase`;
  if (report.phase === 'real' && report.addresses !== report.cycles) {
    problems.push(`${name}: ${report.addresses} distinct addresses for ${report.cycles} concurrent ADDs`);
  }
  if (report.failed > 0) problems.push(`${name}: ${report.failed} operations failed, e.g. ${report.failures[0]}`);
  for (const [what, list] of Object.entries(report.left)) {
    if (list.length > 0) problems.push(`${name}: ${list.length} ${what} left, e.g. ${String(list[0])}`);
  }
  if (report.fdsAfter > report.fdsBefore) problems.push(`${name}: ${report.fdsAfter - report.fdsBefore} more open file descriptors than before`);
  if (report.rssAfterMb - report.rssBeforeMb > RSS_GROWTH_LIMIT_MB) {
    problems.push(`${name}: RSS grew by ${(report.rssAfterMb - report.rssBeforeMb).toFixed(1)} MB`);
  }
  if (report.heapAfterMb - report.heapBeforeMb > HEAP_GROWTH_LIMIT_MB) {
    problems.push(`${name}: heap in use after GC grew by ${(report.heapAfterMb - report.heapBeforeMb).toFixed(1)} MB`);
  }
  return problems;
}

function describe(report: PhaseReport): string[] {
  const left = Object.entries(report.left)
    .map(([what, list]) => `${what} ${list.length}`)
    .join(', ');
  const growth = report.rssAfterMb - report.rssBeforeMb;
  return [
    `soak ${report.phase}: ${report.cycles} concurrent ADD/DEL cycles in ${report.seconds} s, ${report.failed} failed operations` +
      (report.phase === 'real' ? `, ${report.addresses} distinct addresses` : ''),
    `  left: ${left}`,
    `  fds ${report.fdsBefore} -> ${report.fdsAfter}, RSS ${report.rssBeforeMb} -> ${report.rssAfterMb} MB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB), heap in use after GC ${report.heapBeforeMb} -> ${report.heapAfterMb} MB`,
  ];
}

/** Runs the soak phases and reports what each left behind. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const library = options.library ?? path.join(ROOT, 'dist', 'index.js');
  if (!existsSync(library)) throw new Error(`${library} is missing: run \`npm run build\` first`);
  const concurrency = options.concurrency ?? 16;
  const log = options.log ?? (() => {});
  const report: SoakReport = { phases: [], skipped: [], problems: [] };
  const phases: [PhaseReport['phase'], number, () => Promise<PhaseReport>][] = [
    ['fake', options.fake, () => fakePhase(options.fake, library, concurrency)],
    ['real', options.real, () => realPhase(options.real, library, concurrency)],
  ];
  for (const [name, cycles, start] of phases) {
    if (cycles <= 0) continue;
    const problem = name === 'real' ? realSoakProblem() : undefined;
    if (problem) {
      report.skipped.push(`${name}: ${problem}`);
      log(`soak ${name}: skipped (${problem})`);
      continue;
    }
    const phase = await start();
    report.phases.push(phase);
    report.problems.push(...problemsOf(phase));
    for (const line of describe(phase)) log(line);
  }
  return report;
}

function numberOption(args: readonly string[], name: string, fallback: number): number {
  const raw = args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number, got ${raw}`);
  return value;
}

async function main(args: readonly string[]): Promise<void> {
  const report = await runSoak({
    fake: numberOption(args, 'fake', 1000),
    real: numberOption(args, 'real', 200),
    log: (line) => console.log(line),
  });
  if (report.problems.length > 0) {
    console.log(`\nsoak: ${report.problems.length} problem(s):`);
    for (const problem of report.problems) console.log(`  - ${problem}`);
    process.exitCode = 1;
  } else {
    console.log('\nsoak: clean: no cache file, lock file, reservation, process, namespace or veth left; fds back to baseline; heap flat');
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === SELF) {
  const args = process.argv.slice(2);
  const done = args[0] === '--worker' ? worker(args[1]!) : main(args);
  done.catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  });
}
