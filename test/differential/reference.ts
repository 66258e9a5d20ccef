// The Go reference library (libcni) as a test oracle: builds our small Go program (go/main.go)
// against the library's Debian source package and runs one operation per call.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

/** Where Debian's golang-github-appc-cni-dev puts the library source (GOPATH layout). */
export const GO_LIBCNI_ROOT = '/usr/share/gocode';
export const GO_LIBCNI_SOURCE = path.join(GO_LIBCNI_ROOT, 'src/github.com/containernetworking/cni/libcni');

const PROGRAM_DIR = fileURLToPath(new URL('./go/', import.meta.url));

/** The packages that provide the reference: the Go toolchain and the library source. */
export const GO_PACKAGES = ['golang-go', 'golang-github-appc-cni-dev'] as const;

/** Why the Go reference cannot be built here, or `undefined` when it can. */
export function goReferenceProblem(): string | undefined {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    return `the Go toolchain is missing (\`go version\` failed); install it with: apt-get install -y ${GO_PACKAGES.join(' ')}`;
  }
  if (!existsSync(path.join(GO_LIBCNI_SOURCE, 'api.go'))) {
    return `the Go reference library is missing (${GO_LIBCNI_SOURCE}); install it with: apt-get install -y ${GO_PACKAGES.join(' ')}`;
  }
  return undefined;
}

/**
 * True when a missing reference must fail the suite rather than skip it: as root (the machines
 * the project and its CI run on, where `npm test` installs the packages) or under CI.
 */
export function referenceRequired(): boolean {
  return process.getuid?.() === 0 || Boolean(process.env['CI']);
}

export interface GoReference {
  /** The built program. */
  binary: string;
  /** Seconds the build took. */
  buildSeconds: number;
  /** The newest spec version the reference library speaks (its `version.Current()`). */
  specVersion: string;
  /** Every spec version it can read results of and convert between. */
  supportedVersions: string[];
}

let building: Promise<{ reference: GoReference; dir: string; owned: boolean }> | undefined;

/**
 * Builds the program (GOPATH mode, no network, private build cache) once per test run and returns
 * it: in the run's dir from the differential global setup, where the first test file to get here
 * builds and the others wait for it; without that setup, in a temp dir of this process that
 * `disposeGoReference()` removes.
 */
export async function buildGoReference(): Promise<GoReference> {
  building ??= (async () => {
    const problem = goReferenceProblem();
    if (problem) throw new Error(`cannot build the Go reference program: ${problem}`);
    const shared = sharedDir();
    const dir = shared ?? (await mkdtemp(path.join(tmpdir(), 'libcni-goref-')));
    try {
      return { reference: await buildOnce(dir), dir, owned: shared === undefined };
    } catch (error) {
      if (shared === undefined) await rm(dir, { recursive: true, force: true });
      throw error;
    }
  })();
  return (await building).reference;
}

function sharedDir(): string | undefined {
  try {
    return inject('goReferenceDir') || undefined;
  } catch {
    return undefined;
  }
}

const WAIT_MS = 180_000;
const POLL_MS = 50;

async function buildOnce(dir: string): Promise<GoReference> {
  const binary = path.join(dir, 'cnidiff');
  const started = performance.now();
  let owner = false;
  try {
    await mkdir(path.join(dir, 'lock'));
    owner = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (owner) {
    try {
      await compile(dir, binary);
    } catch (error) {
      await writeFile(path.join(dir, 'error'), (error as Error).message);
      throw error;
    }
    await writeFile(path.join(dir, 'done'), '');
  } else {
    await waitForBuild(dir);
  }
  const buildSeconds = (performance.now() - started) / 1000;
  const info = await runGo({ binary, buildSeconds, specVersion: '', supportedVersions: [] }, { op: 'info' });
  if (!info.ok) throw new Error(`the Go reference program does not answer: ${info.error}`);
  const { specVersion, supportedVersions } = info.result as { specVersion: string; supportedVersions: string[] };
  return { binary, buildSeconds, specVersion, supportedVersions };
}

async function waitForBuild(dir: string): Promise<void> {
  for (let waited = 0; waited < WAIT_MS; waited += POLL_MS) {
    if (existsSync(path.join(dir, 'done'))) return;
    if (existsSync(path.join(dir, 'error'))) {
      throw new Error(`the Go reference program failed to build: ${await readFile(path.join(dir, 'error'), 'utf8')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`gave up waiting ${WAIT_MS / 1000} s for another test file to build the Go reference program in ${dir}`);
}

async function compile(dir: string, binary: string): Promise<void> {
  const cache = await mkdtemp(path.join(dir, 'gocache-'));
  try {
    const out = await runProcess('go', ['build', '-o', binary, 'main.go'], {
      cwd: PROGRAM_DIR,
      env: { ...process.env, GO111MODULE: 'off', GOPATH: GO_LIBCNI_ROOT, GOPROXY: 'off', GOFLAGS: '', GOCACHE: cache, CGO_ENABLED: '0' },
      timeoutMs: 120_000,
    });
    if (out.code !== 0) throw new Error(`go build of ${PROGRAM_DIR}main.go failed (${out.code ?? out.signal}): ${out.stderr.trim()}`);
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
}

/** Forgets the program; removes it when this process built it in a dir of its own. */
export async function disposeGoReference(): Promise<void> {
  const pending = building;
  building = undefined;
  if (!pending) return;
  const built = await pending.catch(() => undefined);
  if (built?.owned) await rm(built.dir, { recursive: true, force: true });
}

/** One request to the Go program (see go/main.go). */
export interface GoRequest {
  op: 'add' | 'check' | 'del' | 'cached' | 'cachedConfig' | 'load' | 'version' | 'validate' | 'gc' | 'status' | 'info';
  configFile?: string;
  confDir?: string;
  network?: string;
  containerId?: string;
  netns?: string;
  ifName?: string;
  args?: [string, string][];
  capabilityArgs?: Record<string, unknown>;
  cacheDir?: string;
  cniPath?: string[];
  pluginType?: string;
  validAttachments?: { containerID: string; ifname: string }[] | null;
}

export type GoReply = { ok: true; result?: unknown } | { ok: false; error: string; code?: number };

export interface GoRunOptions {
  /** More environment for the plugins the library runs (the rest is inherited). */
  env?: Record<string, string>;
  /** Run inside this named network namespace (`ip netns exec`). */
  netns?: string;
}

/** Runs one operation through the Go library and returns its reply. */
export async function runGo(reference: GoReference, request: GoRequest, options: GoRunOptions = {}): Promise<GoReply> {
  const [file, args] =
    options.netns === undefined ? [reference.binary, []] : ['ip', ['netns', 'exec', options.netns, reference.binary]];
  const env = { ...process.env, ...options.env };
  const out = await runProcess(file, args, { input: JSON.stringify(request), env, timeoutMs: 30_000 });
  try {
    return JSON.parse(out.stdout) as GoReply;
  } catch {
    const status = out.code ?? out.signal;
    throw new Error(`the Go reference program exited with ${status} without a JSON reply; stdout: ${out.stdout}; stderr: ${out.stderr}`);
  }
}

export interface ProcessOutput {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a process to completion, killing it (by its PID) after `timeoutMs`. */
export function runProcess(
  file: string,
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number },
): Promise<ProcessOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // it exited in the meantime
      }
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}
