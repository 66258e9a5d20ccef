import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

/** The built CLI, run as users run it; `CNITOOL_BIN` points the tests at another build. */
export const BIN = process.env['CNITOOL_BIN'] ?? fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
const SCRIPTED = fileURLToPath(new URL('./fixtures/scripted', import.meta.url));

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Milliseconds before the run is killed and the test fails. @default 20000 */
  limit?: number;
  /** Another build of the CLI to run. */
  bin?: string;
  /** Called once the process is started (to signal it, say). */
  started?: (child: ChildProcess) => void;
}

/** Runs `node dist/cli/bin.js ...args` with only the environment given (and PATH). */
export function cnitool(args: readonly string[], options: RunOptions = {}): Promise<Run> {
  return run(process.execPath, [options.bin ?? BIN, ...args], options);
}

function run(file: string, args: readonly string[], options: RunOptions): Promise<Run> {
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.started?.(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const limit = setTimeout(() => child.kill('SIGKILL'), options.limit ?? 20_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** util-linux `script`, which runs a command on a pseudo-terminal; undefined where it is missing. */
export const SCRIPT = ['/usr/bin/script', '/bin/script'].find((file) => existsSync(file));

/** Runs the CLI with stdout and stderr on a terminal (both arrive as `stdout`). */
export function cnitoolOnTerminal(args: readonly string[], options: RunOptions = {}): Promise<Run> {
  const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, options.bin ?? BIN, ...args].map(quote).join(' ');
  return run(SCRIPT!, ['-qec', command, '/dev/null'], options);
}

/** What the Go tool derives from a netns path. */
export function expectedContainerId(netns: string): string {
  return `cnitool-${createHash('sha512').update(path.resolve(netns)).digest('hex').slice(0, 20)}`;
}

/** A throw-away setup: plugin, config, cache and answer directories under one temp dir. */
export interface World {
  root: string;
  binDir: string;
  confDir: string;
  cacheDir: string;
  fakeDir: string;
  /** NETCONFPATH, CNI_PATH, CNI_CACHE_DIR and CLI_FAKE for this world. */
  env: Record<string, string>;
  /** Installs the scripted fake plugin under the name `type`. */
  plugin(type: string): Promise<void>;
  /** Scripts what plugin `type` does for `command`: stdout, stderr, exit code, or hang. */
  answer(type: string, command: string, answer: { out?: string | object; err?: string; code?: number; hang?: true }): Promise<void>;
  /** Writes a config file into the config directory. */
  config(file: string, content: string | object): Promise<string>;
  /** The plugin runs so far: "<type> <command> <container> <ifname> <netns> <CNI_ARGS>". */
  runs(): Promise<string[]>;
  /** What plugin `type` last read on stdin for `command`. */
  stdin(type: string, command: string): Promise<string>;
  run(args: readonly string[], options?: RunOptions): Promise<Run>;
}

export async function makeWorld(): Promise<World> {
  const root = await mkdtemp(path.join(tmpdir(), 'cnitool-test-'));
  const [binDir, confDir, cacheDir, fakeDir] = ['bin', 'net.d', 'cache', 'fake'].map((name) => path.join(root, name)) as [string, string, string, string];
  await Promise.all([binDir, confDir, fakeDir].map((dir) => mkdir(dir)));
  onTestFinished(async () => {
    // A plugin still hanging (after a failed test) was started here: its PID file names it.
    for (const name of (await readdir(fakeDir)).filter((file) => file.endsWith('.pid'))) {
      const pid = Number(await readFile(path.join(fakeDir, name), 'utf8').catch(() => ''));
      // Only while that PID is still the fixture's `sleep 30`, not a process that reused the number.
      const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (!(pid > 0) || command !== 'sleep\u000030\u0000') continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone, as it should be.
      }
    }
    await rm(root, { recursive: true, force: true });
  });
  const env = { NETCONFPATH: confDir, CNI_PATH: binDir, CNI_CACHE_DIR: cacheDir, CLI_FAKE: fakeDir };
  return {
    root,
    binDir,
    confDir,
    cacheDir,
    fakeDir,
    env,
    plugin: (type) => copyFile(SCRIPTED, path.join(binDir, type)),
    async answer(type, command, answer) {
      const base = path.join(fakeDir, `${type}.${command}`);
      if (answer.out !== undefined) await writeFile(`${base}.out`, typeof answer.out === 'string' ? answer.out : JSON.stringify(answer.out));
      if (answer.err !== undefined) await writeFile(`${base}.err`, answer.err);
      if (answer.code !== undefined) await writeFile(`${base}.code`, String(answer.code));
      if (answer.hang) await writeFile(`${base}.hang`, '');
    },
    async config(file, content) {
      const full = path.join(confDir, file);
      await writeFile(full, typeof content === 'string' ? content : JSON.stringify(content));
      return full;
    },
    async runs() {
      const text = await readFile(path.join(fakeDir, 'runs'), 'utf8').catch(() => '');
      return text.split('\n').filter((line) => line !== '');
    },
    stdin: (type, command) => readFile(path.join(fakeDir, `${type}.${command}.stdin`), 'utf8'),
    run: (args, options = {}) => cnitool(args, { ...options, env: { ...env, ...options.env } }),
  };
}

/** A conflist of the scripted plugins `types`, in that order. */
export function conflist(name: string, types: readonly string[], cniVersion = '1.0.0'): object {
  return { cniVersion, name, plugins: types.map((type) => ({ type })) };
}
