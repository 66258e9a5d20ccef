// 2. ADD + DEL of a 3-plugin chain of the fake plugin through the library, in both
//    configurations, vs the Go reference library doing the same in one long-lived Go process.

import path from 'node:path';
import type { BareRequest } from './lib/bare.js';
import type { GoBench } from './lib/go.js';
import type { Lanes } from './lib/lanes.js';
import { judge, type Row } from './lib/report.js';
import { interleave, summarize, type Variant } from './lib/stats.js';
import { FAKE_TYPES, writeFakeList, type Workspace } from './lib/setup.js';
import { CONFIG_NAMES, type BenchOptions, type ConfigName } from './options.js';

const NETNS = '/var/run/netns/bench';

export const TARGET_2 = 1.5;

export interface ChainBreakdown {
  /** Mean ms per ADD + DEL. */
  total: number;
  /** Mean ms of it spent inside the executor (spawn to exit, six runs). */
  inExecutor: number;
  /** The rest: lookup, locks, stdin building, result parsing, cache. */
  outside: number;
}

export async function benchChain(
  workspace: Workspace,
  options: BenchOptions,
  lanes: Lanes,
  go: GoBench | undefined,
): Promise<{ rows: Row[]; breakdown: Record<ConfigName, ChainBreakdown> }> {
  const { file, text: conflist } = await writeFakeList(workspace, FAKE_TYPES, 'chain.conflist', 'chainnet');
  const where = (config: ConfigName) => ({ binDir: workspace.binDir, cacheDir: path.join(workspace.root, `cache-chain-${config}`), conflist, netns: NETNS });

  // The six plugin runs of one ADD + DEL, replayed as bare spawns: the floor of any Node runner.
  const { requests } = await lanes.default.call<{ requests: BareRequest[] }>({
    op: 'record',
    ...where('default'),
    cacheDir: path.join(workspace.root, 'cache-chain-record'),
    type: FAKE_TYPES[0],
    rt: { containerId: 'probe', netns: NETNS, ifName: 'eth0' },
  });
  const sixRuns = requests.slice(1);
  if (sixRuns.length !== 6) throw new Error(`expected 6 plugin runs per ADD + DEL, recorded ${sixRuns.length}`);

  const count = options.quick ? 8 : 20;
  const rounds = options.quick ? 3 : 10;
  const variants: Variant[] = [{ name: 'spawn', batch: () => lanes.baseline.run({ op: 'spawn', count, requests: sixRuns }) }];
  for (const config of CONFIG_NAMES) {
    variants.push({ name: config, batch: (round) => lanes[config].run({ op: 'chain', count, ...where(config), idPrefix: `${config}-${round}` }) });
  }
  if (go) {
    variants.push({
      name: 'go',
      batch: (round) =>
        go.run({ op: 'chain', count, conflist: file, cniPath: [workspace.binDir], cacheDir: path.join(workspace.root, 'cache-go'), netns: NETNS, ifName: 'eth0', idPrefix: `go-${round}` }),
    });
  }
  const samples = await interleave(rounds, variants);

  // Where the time goes, from a separate pass in each lane with the plugin diagnostics channel subscribed.
  const passes = options.quick ? 10 : 50;
  const breakdown = {} as Record<ConfigName, ChainBreakdown>;
  for (const config of CONFIG_NAMES) {
    const { total, inExecutor } = await lanes[config].call<{ total: number; inExecutor: number }>({ op: 'breakdown', passes, ...where(config), idPrefix: `breakdown-${config}` });
    breakdown[config] = { total, inExecutor, outside: total - inExecutor };
  }

  const rows: Row[] = [];
  const goSummary = go ? summarize(samples.get('go')!) : undefined;
  const add = (name: string, label: string, target: number | undefined, config?: ConfigName, note?: string) => {
    const ours = summarize(samples.get(name)!);
    const ratio = goSummary ? ours.median / goSummary.median : Number.NaN;
    const spec = target === undefined ? undefined : { kind: 'ratio-max' as const, value: target };
    rows.push({ bench: '2', config, case: label, baseline: go ? 'Go libcni, one process' : 'Go (not available)', unit: 'ms', base: goSummary, ours, ratio, target: spec, met: judge(ratio, spec), note });
  };
  add('default', 'default config: 3-plugin ADD+DEL', TARGET_2, 'default');
  add('fast', 'fast config: 3-plugin ADD+DEL', TARGET_2, 'fast');
  add('spawn', 'floor: 6 bare spawns, no library', undefined, undefined, 'what any Node runner pays for the six processes');
  return { rows, breakdown };
}
