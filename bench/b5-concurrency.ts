// 5. 100 attachments (ADD, then DEL of all) of the 3-plugin fake chain: the library with
//    concurrency 8 vs the same calls made one after another.

import path from 'node:path';
import { CNI, parseConfList } from '../src/index.js';
import { judge, type Row } from './lib/report.js';
import { interleave, summarize } from './lib/stats.js';
import { FAKE_TYPES, writeFakeList, type Workspace } from './lib/setup.js';
import type { BenchOptions } from './options.js';

export const ATTACHMENTS = 100;
export const CONCURRENCY = 8;

export async function benchConcurrency(workspace: Workspace, options: BenchOptions): Promise<Row[]> {
  const { text } = await writeFakeList(workspace, FAKE_TYPES, 'concurrency.conflist', 'concnet');
  const list = parseConfList(text);
  const base = { path: [workspace.binDir], cacheDir: path.join(workspace.root, 'cache-concurrency') };
  const serial = new CNI(base);
  const parallel = new CNI({ ...base, concurrency: CONCURRENCY });
  const rt = (id: string) => ({ containerId: id, netns: '/var/run/netns/bench', ifName: 'eth0' });
  const ids = (prefix: string) => Array.from({ length: ATTACHMENTS }, (_, i) => `${prefix}-${i}`);

  const rounds = options.quick ? 2 : 6;
  const samples = await interleave(rounds, [
    {
      name: 'serial',
      batch: async (round) => {
        const started = performance.now();
        for (const id of ids(`s${round}`)) await serial.addNetworkList(list, rt(id));
        for (const id of ids(`s${round}`)) await serial.delNetworkList(list, rt(id));
        return [performance.now() - started];
      },
    },
    {
      name: 'parallel',
      batch: async (round) => {
        const started = performance.now();
        await Promise.all(ids(`p${round}`).map((id) => parallel.addNetworkList(list, rt(id))));
        await Promise.all(ids(`p${round}`).map((id) => parallel.delNetworkList(list, rt(id))));
        return [performance.now() - started];
      },
    },
  ]);
  const base0 = summarize(samples.get('serial')!);
  const ours = summarize(samples.get('parallel')!);
  // Throughput ratio: attachments per second with concurrency over serial = serial time / parallel time.
  const ratio = base0.median / ours.median;
  const target = { kind: 'ratio-min' as const, value: 1.5 };
  return [
    {
      bench: '5',
      case: `library: ${ATTACHMENTS} ADD + ${ATTACHMENTS} DEL, concurrency ${CONCURRENCY} (ratio = throughput gain)`,
      baseline: 'same calls, serial',
      unit: 'ms/100',
      base: base0,
      ours,
      ratio,
      target,
      met: judge(ratio, target),
    },
  ];
}
