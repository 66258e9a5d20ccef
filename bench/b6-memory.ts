// 6. Memory: the resident set of a process after 10,000 plugin invocations through the library
//    minus the one after 1,000, in each configuration. Each measurement runs in a fresh process
//    (bench/memory-worker.ts). The target rows measure after a memory-reducing GC (what the process
//    really holds); the other rows show the plain RSS after an ordinary GC, for the library and for
//    bare spawns.

import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { judge, type Row } from './lib/report.js';
import { FAKE_TYPES, writeFakeList, type Workspace } from './lib/setup.js';
import type { BenchOptions, ConfigName } from './options.js';

const WORKER = fileURLToPath(new URL('./memory-worker.js', import.meta.url));

export const TARGET_6_MB = 10;

export interface MemoryPoint {
  invocations: number;
  plainRssMB: number;
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  spacesMB: Record<string, number>;
}

export interface MemoryRun {
  mode: 'library' | 'spawn';
  config: ConfigName | undefined;
  reduce: boolean;
  points: MemoryPoint[];
}

export async function benchMemory(workspace: Workspace, options: BenchOptions): Promise<{ rows: Row[]; runs: MemoryRun[] }> {
  const { text } = await writeFakeList(workspace, [FAKE_TYPES[0]], 'memory.conflist', 'memnet');
  const checkpoints = options.quick ? [1000, 3000] : [1000, 10_000];
  const run = async (mode: MemoryRun['mode'], config: ConfigName | undefined, reduce: boolean): Promise<MemoryRun> => {
    const name = `memory-${mode}-${config ?? 'none'}-${reduce}`;
    const settingsFile = path.join(workspace.root, `${name}.json`);
    const cacheDir = path.join(workspace.root, `cache-${name}`);
    await writeFile(settingsFile, JSON.stringify({ mode, config: config ?? 'default', reduce, binDir: workspace.binDir, cacheDir, conflist: text, checkpoints, lanes: 8 }));
    const child = spawnSync(process.execPath, ['--expose-gc', WORKER, settingsFile], { encoding: 'utf8', timeout: 600_000 });
    if (child.status !== 0) throw new Error(`memory worker (${name}) failed (${child.status ?? child.signal}): ${child.stderr}`);
    return { mode, config, reduce, points: (JSON.parse(child.stdout) as { points: MemoryPoint[] }).points };
  };
  const runs = [
    await run('library', 'default', true),
    await run('library', 'fast', true),
    await run('library', 'default', false),
    await run('spawn', undefined, false),
  ];
  const one = (value: number) => ({ n: 1, median: value, p95: value, min: value, mean: value });
  const target = { kind: 'delta-max' as const, value: TARGET_6_MB };
  const rows = runs.map((memory): Row => {
    const [first, last] = [memory.points[0]!, memory.points.at(-1)!];
    const pick = (point: MemoryPoint) => (memory.reduce ? point.rssMB : point.plainRssMB);
    const delta = pick(last) - pick(first);
    const who = memory.mode === 'library' ? `${memory.config} config` : 'floor: bare spawns';
    const how = memory.reduce ? 'after memory-reducing GC' : 'plain, after ordinary GC';
    return {
      bench: '6',
      config: memory.config,
      case: `${who}: RSS ${how}, ${last.invocations} vs ${first.invocations} invocations`,
      baseline: `RSS after ${first.invocations}`,
      unit: 'MB',
      base: one(pick(first)),
      ours: one(pick(last)),
      ratio: delta,
      target: memory.reduce ? target : undefined,
      met: memory.reduce && !options.quick ? judge(delta, target) : undefined,
      note: `heap used ${first.heapUsedMB.toFixed(1)} -> ${last.heapUsedMB.toFixed(1)} MB; V8 new space ${first.spacesMB['new_space']} -> ${last.spacesMB['new_space']} MB`,
    };
  });
  return { rows, runs };
}
