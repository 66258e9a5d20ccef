import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { CNI, type CNIOptions } from '../../src/index.js';
import { killFixtureProcess, readPids } from './processes.js';

/** The folder of fake plugin scripts. */
export const FIXTURES = fileURLToPath(new URL('../../fixtures/plugins/', import.meta.url));

/** One recorded run of the `recorder` fixture. */
export interface Invocation {
  seq: number;
  type: string;
  command: string;
  env: Record<string, string>;
  stdin: string;
}

export interface Answer {
  /** Seconds to wait before answering. */
  sleep?: number;
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

/** A throw-away CNI world: a plugin directory, a cache directory, a config directory. */
export interface FakeEnv {
  root: string;
  /** The plugin directory, to put on the CNI path. */
  binDir: string;
  cacheDir: string;
  confDir: string;
  /** Where fixtures record what they received and read their scripted answers. */
  recordDir: string;
  /** Installs `fixture` under the name `type` on the CNI path. */
  install(type: string, fixture?: string): Promise<string>;
  /** Scripts what a `recorder` plugin named `type` answers to `command`. */
  answer(type: string, command: string, answer: Answer): Promise<void>;
  /** Every recorded run, in order. */
  invocations(): Promise<Invocation[]>;
  /** Writes a file into the config directory (or below it). */
  writeConfig(name: string, content: string | object): Promise<string>;
  /** A CNI instance wired to this world; `FAKE_DIR` reaches the plugins through `extraEnv`. */
  cni(options?: CNIOptions): CNI;
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of text.split('\0')) {
    if (entry === '') continue;
    const at = entry.indexOf('=');
    env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}

// PID files the fixtures write; anything they name still running at the end of a test is killed.
const PID_FILES = ['hang.pid', 'forker.pids', 'flood.pid', 'leaky-child.pid'];

/** Creates a fake CNI world under the OS temp dir and removes it when the current test ends. */
export async function createFakeEnv(): Promise<FakeEnv> {
  const root = await mkdtemp(path.join(tmpdir(), 'cni-test-'));
  const binDir = path.join(root, 'bin');
  const cacheDir = path.join(root, 'cache');
  const confDir = path.join(root, 'net.d');
  const recordDir = path.join(root, 'record');
  await Promise.all([binDir, confDir, recordDir].map((dir) => mkdir(dir)));

  onTestFinished(async () => {
    for (const name of PID_FILES) {
      for (const pid of await readPids(path.join(recordDir, name))) await killFixtureProcess(pid);
    }
    await rm(root, { recursive: true, force: true });
  });

  return {
    root,
    binDir,
    cacheDir,
    confDir,
    recordDir,
    async install(type, fixture = 'recorder') {
      const file = path.join(binDir, type);
      await symlink(path.join(FIXTURES, fixture), file);
      return file;
    },
    async answer(type, command, answer) {
      const base = path.join(recordDir, `${type}-${command}`);
      if (answer.sleep !== undefined) await writeFile(`${base}.sleep`, String(answer.sleep));
      if (answer.stdout !== undefined) await writeFile(`${base}.out`, answer.stdout);
      if (answer.stderr !== undefined) await writeFile(`${base}.err`, answer.stderr);
      if (answer.exitCode !== undefined) await writeFile(`${base}.code`, String(answer.exitCode));
    },
    async invocations() {
      const names = (await readdir(recordDir)).filter((name) => name.endsWith('.stdin')).sort();
      return Promise.all(
        names.map(async (name) => {
          const base = name.slice(0, -'.stdin'.length);
          const match = /^(\d+)-(.+)-([A-Z]+)$/.exec(base)!;
          return {
            seq: Number(match[1]),
            type: match[2]!,
            command: match[3]!,
            env: parseEnv(await readFile(path.join(recordDir, `${base}.env`), 'utf8')),
            stdin: await readFile(path.join(recordDir, name), 'utf8'),
          };
        }),
      );
    },
    async writeConfig(name, content) {
      const file = path.join(confDir, name);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
      return file;
    },
    cni(options = {}) {
      return new CNI({
        path: [binDir],
        cacheDir,
        ...options,
        extraEnv: { FAKE_DIR: recordDir, ...options.extraEnv },
      });
    },
  };
}

/** The commands and plugin types of recorded runs, as `"ADD a"` strings, in order. */
export function calls(invocations: readonly Invocation[]): string[] {
  return invocations.map((entry) => `${entry.command} ${entry.type}`);
}

/** The stdin of a recorded run, parsed. */
export function stdinOf(invocation: Invocation | undefined): Record<string, unknown> {
  if (!invocation) throw new Error('no such invocation was recorded');
  return JSON.parse(invocation.stdin) as Record<string, unknown>;
}

/** The CNI_* variables of a recorded run. */
export function cniEnv(invocation: Invocation | undefined): Record<string, string> {
  if (!invocation) throw new Error('no such invocation was recorded');
  return Object.fromEntries(Object.entries(invocation.env).filter(([key]) => key.startsWith('CNI_')));
}
