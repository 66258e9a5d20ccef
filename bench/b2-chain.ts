// 2. ADD + DEL of a 3-plugin chain of the fake plugin through the library vs the Go reference
//    library doing the same in one long-lived Go process.

import diagnostics from 'node:diagnostics_channel';
import path from 'node:path';
import { CNI, defaultExecutor, parseConfList, type CNIOptions } from '../src/index.js';
import { bareSpawn, recording } from './lib/bare.js';
import type { GoBench } from './lib/go.js';
import { judge, type Row } from './lib/report.js';
import { interleave, summarize, timeEach } from './lib/stats.js';
import { FAKE_TYPES, writeFakeList, type Workspace } from './lib/setup.js';
import type { BenchOptions } from './options.js';

const NETNS = '/var/run/netns/bench';

export interface ChainBreakdown {
  /** Mean ms per ADD + DEL. */
  total: number;
  /** Mean ms of it spent inside the executor (spawn to exit, six runs). */
  inExecutor: number;
  /** The rest: lookup, locks, stdin building, result parsing, cache. */
  outside: number;
}

export async function benchChain(workspace: Workspace, options: BenchOptions, go: GoBench | undefined): Promise<{ rows: Row[]; breakdown: ChainBreakdown }> {
  const { file, text } = await writeFakeList(workspace, FAKE_TYPES, 'chain.conflist', 'chainnet');
  const list = parseConfList(text);
  const base: CNIOptions = { path: [workspace.binDir], cacheDir: path.join(workspace.root, 'cache-chain') };
  const cni = new CNI(base);
  const fast = new CNI({ ...base, ...options.fastOptions });

  // The six plugin runs of one ADD + DEL, replayed as bare spawns: the floor of any Node runner.
  const recorder = recording(defaultExecutor);
  const probe = new CNI({ ...base, executor: recorder });
  const probeRt = { containerId: 'probe', netns: NETNS, ifName: 'eth0' };
  await probe.addNetworkList(list, probeRt);
  await probe.delNetworkList(list, probeRt);
  const sixRuns = [...recorder.requests];

  const count = options.quick ? 8 : 20;
  const rounds = options.quick ? 3 : 10;
  const cycle = (instance: CNI, id: string) => async () => {
    const rt = { containerId: id, netns: NETNS, ifName: 'eth0' };
    await instance.addNetworkList(list, rt);
    await instance.delNetworkList(list, rt);
  };
  const variants = [
    { name: 'ours', batch: (round: number) => timeEach(count, (i) => cycle(cni, `node-${round}-${i}`)()) },
    {
      name: 'spawn',
      batch: () =>
        timeEach(count, async () => {
          for (const request of sixRuns) await bareSpawn(request);
        }),
    },
  ];
  if (go) {
    variants.push({
      name: 'go',
      batch: (round: number) =>
        go.run({ op: 'chain', count, conflist: file, cniPath: [workspace.binDir], cacheDir: path.join(workspace.root, 'cache-go'), netns: NETNS, ifName: 'eth0', idPrefix: `go-${round}` }),
    });
  }
  if (options.fastOptions) variants.push({ name: 'fast', batch: (round: number) => timeEach(count, (i) => cycle(fast, `fast-${round}-${i}`)()) });
  const samples = await interleave(rounds, variants);

  // Where the time goes, from a separate pass with the plugin diagnostics channel subscribed.
  let inExecutor = 0;
  const onFinish = (message: unknown) => (inExecutor += (message as { durationMs: number }).durationMs);
  diagnostics.subscribe('cni:plugin:finish', onFinish);
  const passes = options.quick ? 10 : 50;
  const started = performance.now();
  for (let i = 0; i < passes; i++) await cycle(cni, `breakdown-${i}`)();
  const total = (performance.now() - started) / passes;
  diagnostics.unsubscribe('cni:plugin:finish', onFinish);
  const breakdown = { total, inExecutor: inExecutor / passes, outside: total - inExecutor / passes };

  const rows: Row[] = [];
  const goSummary = go ? summarize(samples.get('go')!) : undefined;
  const add = (name: string, label: string, target: number | undefined, note?: string) => {
    const ours = summarize(samples.get(name)!);
    const ratio = goSummary ? ours.median / goSummary.median : Number.NaN;
    const spec = target === undefined ? undefined : { kind: 'ratio-max' as const, value: target };
    rows.push({ bench: '2', case: label, baseline: go ? 'Go libcni, one process' : 'Go (not available)', unit: 'ms', base: goSummary, ours, ratio, target: spec, met: judge(ratio, spec), note });
  };
  add('ours', 'library: 3-plugin ADD+DEL', 1.5);
  if (options.fastOptions) add('fast', 'library: 3-plugin ADD+DEL, fast options', undefined, JSON.stringify(options.fastOptions));
  add('spawn', 'floor: 6 bare spawns, no library', undefined, 'what any Node runner pays for the six processes');
  return { rows, breakdown };
}
