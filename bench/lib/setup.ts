// What the benchmarks run on: a temp dir, the fake plugin compiled from bench/fake-plugin.c, the Go
// program from bench/go/, and the configs, all made fresh by each run.

import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/ in the source tree (this file is compiled to bench/.out/bench/lib/). */
export const BENCH_SOURCE = fileURLToPath(new URL('../../../', import.meta.url));

export const FAKE_TYPES = ['fake-a', 'fake-b', 'fake-c'] as const;

export interface Workspace {
  root: string;
  binDir: string;
  /** The fake plugin, as `fake-a`. */
  plugin: string;
  dispose(): Promise<void>;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): void {
  const result = spawnSync(command, args, { env, cwd, encoding: 'utf8' });
  if (result.error) throw new Error(`${command} could not be run: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr}`);
}

export async function createWorkspace(): Promise<Workspace> {
  const root = await mkdtemp(path.join(tmpdir(), 'libcni-bench-'));
  const binDir = path.join(root, 'bin');
  await mkdir(binDir);
  const plugin = path.join(binDir, FAKE_TYPES[0]);
  run('gcc', ['-O2', '-static', '-o', plugin, path.join(BENCH_SOURCE, 'fake-plugin.c')]);
  for (const type of FAKE_TYPES.slice(1)) await copyFile(plugin, path.join(binDir, type));
  return { root, binDir, plugin, dispose: () => rm(root, { recursive: true, force: true }) };
}

/** Builds bench/go/main.go against the Debian source of the Go reference library, offline. */
export function buildGoProgram(workspace: Workspace): string {
  const gopath = path.join(workspace.root, 'gopath');
  const binary = path.join(workspace.root, 'cnibench');
  const env = {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH: `${gopath}:/usr/share/gocode`,
    GOPROXY: 'off',
    GOFLAGS: '',
    GOCACHE: path.join(workspace.root, 'gocache'),
    CGO_ENABLED: '0',
  };
  run('go', ['build', '-o', binary, 'main.go'], env, path.join(BENCH_SOURCE, 'go'));
  return binary;
}

/** Why the Go side cannot be built here, or undefined. */
export function goProblem(): string | undefined {
  const go = spawnSync('go', ['version']);
  if (go.error || go.status !== 0) return 'no Go toolchain (apt-get install -y golang-go golang-github-appc-cni-dev)';
  const api = '/usr/share/gocode/src/github.com/containernetworking/cni/libcni/api.go';
  if (spawnSync('test', ['-f', api]).status !== 0) return `no Go reference library at ${api} (apt-get install -y golang-github-appc-cni-dev)`;
  return undefined;
}

/** A conflist of the fake plugins, written to `<root>/<file>`; returns its path and text. */
export async function writeFakeList(workspace: Workspace, types: readonly string[], file: string, name = 'benchnet'): Promise<{ file: string; text: string }> {
  const text = `${JSON.stringify({ cniVersion: '1.0.0', name, plugins: types.map((type) => ({ type })) }, null, 2)}\n`;
  const target = path.join(workspace.root, file);
  await writeFile(target, text);
  return { file: target, text };
}
