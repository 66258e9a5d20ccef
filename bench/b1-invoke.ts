// 1. One invocation of the fake plugin through the library vs a bare spawn of the same binary
//    with the same stdin and environment.

import path from 'node:path';
import { CNI, defaultExecutor, parseConfList, type CNIOptions } from '../src/index.js';
import * as executors from '../src/invoke/exec-plugin.js';
import { bareSpawn, recording } from './lib/bare.js';
import { judge, type Row } from './lib/report.js';
import { interleave, summarize, timeEach } from './lib/stats.js';
import { FAKE_TYPES, writeFakeList, type Workspace } from './lib/setup.js';
import type { BenchOptions } from './options.js';

const RT = { containerId: 'bench-invoke', netns: '/var/run/netns/bench', ifName: 'eth0' };

export async function benchInvoke(workspace: Workspace, options: BenchOptions): Promise<Row[]> {
  const { text } = await writeFakeList(workspace, [FAKE_TYPES[0]], 'invoke.conflist', 'invokenet');
  const list = parseConfList(text);
  const base: CNIOptions = { path: [workspace.binDir], cacheDir: path.join(workspace.root, 'cache-invoke') };

  // Capture the exact requests the library makes, to replay them as bare spawns.
  const recorder = recording(defaultExecutor);
  const probe = new CNI({ ...base, executor: recorder });
  await probe.getVersionInfo(FAKE_TYPES[0]);
  await probe.addNetworkList(list, RT);
  const [versionRequest, addRequest] = recorder.requests;
  if (!versionRequest || !addRequest) throw new Error('the library made no plugin requests');

  // Before the lean executor existed, the default one was the execa one.
  const execaExecutor = (executors as { execaExecutor?: typeof defaultExecutor }).execaExecutor ?? executors.defaultExecutor;
  const cni = new CNI(base);
  const fast = new CNI({ ...base, ...options.fastOptions });
  const count = options.quick ? 15 : 40;
  const rounds = options.quick ? 3 : 10;
  const samples = await interleave(rounds, [
    { name: 'spawn-version', batch: () => timeEach(count, () => bareSpawn(versionRequest)) },
    { name: 'exec', batch: () => timeEach(count, () => defaultExecutor.exec(versionRequest)) },
    { name: 'version', batch: () => timeEach(count, () => cni.getVersionInfo(FAKE_TYPES[0])) },
    { name: 'spawn-add', batch: () => timeEach(count, () => bareSpawn(addRequest)) },
    { name: 'add', batch: () => timeEach(count, () => cni.addNetworkList(list, RT)) },
    ...(options.fastOptions ? [{ name: 'add-fast', batch: () => timeEach(count, () => fast.addNetworkList(list, RT)) }] : []),
  ]);
  await cni.delNetworkList(list, RT);
  // execa grows the heap of the process it runs in (and a larger process forks more slowly), so
  // it is measured last, against its own interleaved spawn baseline, not to slow the rows above.
  const execaSamples = await interleave(rounds, [
    { name: 'spawn-version', batch: () => timeEach(count, () => bareSpawn(versionRequest)) },
    { name: 'execa', batch: () => timeEach(count, () => execaExecutor.exec(versionRequest)) },
  ]);
  samples.set('execa', execaSamples.get('execa')!);
  samples.set('spawn-execa', execaSamples.get('spawn-version')!);

  const row = (name: string, baselineName: string, label: string, baselineLabel: string, target: number | undefined, note?: string): Row => {
    const ours = summarize(samples.get(name)!);
    const baseline = summarize(samples.get(baselineName)!);
    const ratio = ours.median / baseline.median;
    const targetSpec = target === undefined ? undefined : { kind: 'ratio-max' as const, value: target };
    return { bench: '1', case: label, baseline: baselineLabel, unit: 'ms', base: baseline, ours, ratio, target: targetSpec, met: judge(ratio, targetSpec), note };
  };
  const rows = [
    row('exec', 'spawn-version', 'executor: defaultExecutor.exec', 'spawn, same stdin+env', 1.15),
    row('execa', 'spawn-execa', 'executor: execaExecutor (the previous default)', 'spawn, same stdin+env', undefined),
    row('version', 'spawn-version', 'library: getVersionInfo (lookup+exec+decode)', 'spawn, same stdin+env', 1.15),
    row('add', 'spawn-add', 'library: ADD 1-plugin list (+locks, durable cache)', 'spawn, same stdin+env', undefined, 'includes two lock files and an fsynced cache write'),
  ];
  if (options.fastOptions) {
    rows.push(row('add-fast', 'spawn-add', 'library: ADD 1-plugin list, fast options', 'spawn, same stdin+env', undefined, JSON.stringify(options.fastOptions)));
  }
  return rows;
}
