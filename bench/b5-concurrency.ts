// 5. 100 attachments (ADD, then DEL of all) of the 3-plugin fake chain: the library with
//    concurrency 8 vs the same calls made one after another, in each configuration (each in its
//    own lane, where serial and concurrent rounds interleave).

import path from 'node:path';
import type { Lanes } from './lib/lanes.js';
import { judge, type Row } from './lib/report.js';
import { interleave, summarize, type Variant } from './lib/stats.js';
import { FAKE_TYPES, writeFakeList, type Workspace } from './lib/setup.js';
import { CONFIG_NAMES, type BenchOptions } from './options.js';

export const ATTACHMENTS = 100;
export const CONCURRENCY = 8;
export const TARGET_5 = 1.5;

export async function benchConcurrency(workspace: Workspace, options: BenchOptions, lanes: Lanes): Promise<Row[]> {
  const { text: conflist } = await writeFakeList(workspace, FAKE_TYPES, 'concurrency.conflist', 'concnet');
  const rounds = options.quick ? 2 : 6;
  const variants: Variant[] = [];
  for (const config of CONFIG_NAMES) {
    const where = { binDir: workspace.binDir, cacheDir: path.join(workspace.root, `cache-concurrency-${config}`), conflist };
    for (const mode of ['serial', 'parallel'] as const) {
      variants.push({
        name: `${mode}-${config}`,
        batch: (round) => lanes[config].run({ op: 'concurrency', mode, attachments: ATTACHMENTS, concurrency: CONCURRENCY, ...where, idPrefix: `${mode[0]}${round}` }),
      });
    }
  }
  const samples = await interleave(rounds, variants);
  const target = { kind: 'ratio-min' as const, value: TARGET_5 };
  return CONFIG_NAMES.map((config): Row => {
    const base = summarize(samples.get(`serial-${config}`)!);
    const ours = summarize(samples.get(`parallel-${config}`)!);
    // Throughput ratio: attachments per second with concurrency over serial = serial time / parallel time.
    const ratio = base.median / ours.median;
    return {
      bench: '5',
      config,
      case: `${config} config: ${ATTACHMENTS} ADD + ${ATTACHMENTS} DEL, concurrency ${CONCURRENCY} (ratio = throughput gain)`,
      baseline: `same calls, serial, ${config} config`,
      unit: 'ms/100',
      base,
      ours,
      ratio,
      target,
      met: judge(ratio, target),
    };
  });
}
