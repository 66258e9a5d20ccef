// 6. Memory: the resident set of a process after 10,000 plugin invocations through the library
//    minus the one after 1,000 (both after a full GC).

import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { judge, type Row } from './lib/report.js';
import { FAKE_TYPES, writeFakeList, type Workspace } from './lib/setup.js';
import type { BenchOptions } from './options.js';

const WORKER = fileURLToPath(new URL('./memory-worker.js', import.meta.url));

export interface MemoryPoint {
  invocations: number;
  rssMB: number;
  heapUsedMB: number;
}

export async function benchMemory(workspace: Workspace, options: BenchOptions): Promise<{ rows: Row[]; points: MemoryPoint[] }> {
  const { text } = await writeFakeList(workspace, [FAKE_TYPES[0]], 'memory.conflist', 'memnet');
  const checkpoints = options.quick ? [1000, 3000] : [1000, 10_000];
  const settingsFile = path.join(workspace.root, 'memory.json');
  await writeFile(settingsFile, JSON.stringify({ binDir: workspace.binDir, cacheDir: path.join(workspace.root, 'cache-memory'), conflist: text, checkpoints, lanes: 8 }));
  const run = spawnSync(process.execPath, ['--expose-gc', WORKER, settingsFile], { encoding: 'utf8', timeout: 600_000 });
  if (run.status !== 0) throw new Error(`memory worker failed (${run.status ?? run.signal}): ${run.stderr}`);
  const { points } = JSON.parse(run.stdout) as { points: MemoryPoint[] };
  const [first, last] = [points[0]!, points.at(-1)!];
  const delta = last.rssMB - first.rssMB;
  const target = { kind: 'delta-max' as const, value: 10 };
  const one = (value: number) => ({ n: 1, median: value, p95: value, min: value, mean: value });
  return {
    points,
    rows: [
      {
        bench: '6',
        case: `library: RSS after ${last.invocations} invocations vs after ${first.invocations}`,
        baseline: `RSS after ${first.invocations}`,
        unit: 'MB',
        base: one(first.rssMB),
        ours: one(last.rssMB),
        ratio: delta,
        target,
        met: options.quick ? undefined : judge(delta, target),
        note: `heap used ${first.heapUsedMB.toFixed(1)} -> ${last.heapUsedMB.toFixed(1)} MB`,
      },
    ],
  };
}
