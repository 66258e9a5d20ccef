// 1. One invocation of the fake plugin through the library vs a bare spawn of the same binary
//    with the same stdin and environment, for both executors and both configurations. Every
//    configuration runs in its own process (a lane) with its own interleaved bare spawns.

import path from 'node:path';
import type { BareRequest } from './lib/bare.js';
import type { Lanes } from './lib/lanes.js';
import { judge, type Row } from './lib/report.js';
import { interleave, summarize, type Variant } from './lib/stats.js';
import { FAKE_TYPES, writeFakeList, type Workspace } from './lib/setup.js';
import { CONFIG_NAMES, type ConfigName } from './options.js';
import type { BenchOptions } from './options.js';

const RT = { containerId: 'bench-invoke', netns: '/var/run/netns/bench', ifName: 'eth0' };

export const TARGET_1 = 1.15;

export async function benchInvoke(workspace: Workspace, options: BenchOptions, lanes: Lanes): Promise<Row[]> {
  const { text: conflist } = await writeFakeList(workspace, [FAKE_TYPES[0]], 'invoke.conflist', 'invokenet');
  const where = (config: ConfigName) => ({ binDir: workspace.binDir, cacheDir: path.join(workspace.root, `cache-invoke-${config}`), conflist });

  // The exact requests the library makes (VERSION, then ADD and DEL), to replay as bare spawns.
  const { requests } = await lanes.default.call<{ requests: (BareRequest & Record<string, unknown>)[] }>({
    op: 'record',
    ...where('default'),
    cacheDir: path.join(workspace.root, 'cache-invoke-record'),
    type: FAKE_TYPES[0],
    rt: RT,
  });
  const [versionRequest, addRequest] = requests;
  if (!versionRequest || !addRequest) throw new Error('the library made no plugin requests');

  const count = options.quick ? 15 : 40;
  const rounds = options.quick ? 3 : 10;
  // Each configuration's lane times bare spawns too, interleaved with its own rows: the baseline
  // in the same process state (heap, resident set), so that a ratio is the library's own cost.
  // The bare spawns of the baseline lane, a process that never loads the library, show what that
  // state costs every spawn of the process.
  const variants: Variant[] = [{ name: 'spawn-fresh', batch: () => lanes.baseline.run({ op: 'spawn', count, requests: [versionRequest] }) }];
  for (const config of CONFIG_NAMES) {
    variants.push(
      { name: `spawn-version-${config}`, batch: () => lanes[config].run({ op: 'spawn', count, requests: [versionRequest] }) },
      { name: `exec-${config}`, batch: () => lanes[config].run({ op: 'exec', count, request: versionRequest }) },
      { name: `version-${config}`, batch: () => lanes[config].run({ op: 'version', count, ...where(config), type: FAKE_TYPES[0] }) },
      { name: `spawn-add-${config}`, batch: () => lanes[config].run({ op: 'spawn', count, requests: [addRequest] }) },
      { name: `add-${config}`, batch: (round) => lanes[config].run({ op: 'add', count, ...where(config), netns: RT.netns, idPrefix: `add-${round}` }) },
    );
  }
  const samples = await interleave(rounds, variants);

  const SAME = 'bare spawn, same process';
  const row = (name: string, baselineName: string, baseline: string, label: string, target: number | undefined, config?: ConfigName, note?: string): Row => {
    const ours = summarize(samples.get(name)!);
    const base = summarize(samples.get(baselineName)!);
    const ratio = ours.median / base.median;
    const spec = target === undefined ? undefined : { kind: 'ratio-max' as const, value: target };
    return { bench: '1', config, case: label, baseline, unit: 'ms', base, ours, ratio, target: spec, met: judge(ratio, spec), note };
  };
  return [
    row('exec-default', 'spawn-version-default', SAME, 'executor: defaultExecutor.exec (execa, the default)', TARGET_1, 'default'),
    row('exec-fast', 'spawn-version-fast', SAME, 'executor: spawnExecutor.exec (opt-in)', TARGET_1, 'fast'),
    row('version-default', 'spawn-version-default', SAME, 'default config: getVersionInfo (lookup+exec+decode)', TARGET_1, 'default'),
    row('version-fast', 'spawn-version-fast', SAME, 'fast config: getVersionInfo (lookup+exec+decode)', TARGET_1, 'fast'),
    row('add-default', 'spawn-add-default', SAME, 'default config: ADD 1-plugin list', undefined, 'default', 'two lock files and an fsynced cache write on top of the run'),
    row('add-fast', 'spawn-add-fast', SAME, 'fast config: ADD 1-plugin list', undefined, 'fast', 'in-process locks, cache write without fsync'),
    row('spawn-version-default', 'spawn-fresh', 'bare spawn, fresh process', 'process: bare spawn in the default config lane', undefined, 'default', 'what running the default configuration costs every later spawn of the process'),
    row('spawn-version-fast', 'spawn-fresh', 'bare spawn, fresh process', 'process: bare spawn in the fast config lane', undefined, 'fast', 'the same for the fast configuration'),
  ];
}
