// 4. Finding a network in a config directory of 1,000 files, vs the Go reference library's
//    LoadConfList on the same directory. The network is in the last file, so both read them all.

import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadNetworkList } from '../src/index.js';
import type { GoBench } from './lib/go.js';
import { judge, type Row } from './lib/report.js';
import { interleave, summarize, timeEach } from './lib/stats.js';
import type { Workspace } from './lib/setup.js';
import type { BenchOptions } from './options.js';

export const CONFIG_FILES = 1000;

function conflist(index: number): string {
  const id = String(index).padStart(4, '0');
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: `net-${id}`,
      plugins: [
        {
          type: 'bridge',
          bridge: `br${id}`,
          isGateway: true,
          ipMasq: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: `198.18.${index % 256}.0/24` }]], routes: [{ dst: '0.0.0.0/0' }] },
        },
        { type: 'portmap', capabilities: { portMappings: true }, snat: true },
        { type: 'firewall' },
      ],
    },
    null,
    2,
  )}\n`;
}

/** Writes the 1,000-file config directory; returns it and the name of the network in its last file. */
export async function writeConfigDir(workspace: Workspace): Promise<{ dir: string; name: string }> {
  const dir = path.join(workspace.root, 'confs');
  await mkdir(dir, { recursive: true });
  for (let index = 0; index < CONFIG_FILES; index++) {
    await writeFile(path.join(dir, `${String(index).padStart(4, '0')}-net.conflist`), conflist(index));
  }
  return { dir, name: `net-${String(CONFIG_FILES - 1).padStart(4, '0')}` };
}

export async function benchLoad(workspace: Workspace, options: BenchOptions, go: GoBench | undefined): Promise<Row[]> {
  const { dir, name } = await writeConfigDir(workspace);
  const count = options.quick ? 2 : 3;
  const rounds = options.quick ? 3 : 8;
  const variants = [
    {
      name: 'ours',
      batch: () =>
        timeEach(count, async () => {
          const list = await loadNetworkList(dir, name);
          if (list.name !== name) throw new Error(`found ${list.name}`);
        }),
    },
  ];
  if (go) variants.push({ name: 'go', batch: () => go.run({ op: 'load', count, dir, name }) });
  // What reading and parsing the files costs in Node at the least: sorted names, a synchronous read
  // and JSON.parse of each until the name matches, no validation.
  variants.push({
    name: 'floor',
    batch: () =>
      timeEach(count, async () => {
        for (const file of readdirSync(dir).filter((entry) => entry.endsWith('.conflist')).sort()) {
          if ((JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { name: string }).name === name) return;
        }
        throw new Error(`${name} not found`);
      }),
  });
  const samples = await interleave(rounds, variants);
  const ours = summarize(samples.get('ours')!);
  const base = go ? summarize(samples.get('go')!) : undefined;
  const ratio = base ? ours.median / base.median : Number.NaN;
  const target = { kind: 'ratio-max' as const, value: 1.0 };
  const floor = summarize(samples.get('floor')!);
  return [
    {
      bench: '4',
      case: `library: loadNetworkList, ${CONFIG_FILES} files, last one`,
      baseline: go ? 'Go libcni LoadConfList' : 'Go (not available)',
      unit: 'ms',
      base,
      ours,
      ratio,
      target,
      met: judge(ratio, target),
    },
    {
      bench: '4',
      case: 'floor: readFileSync + JSON.parse per file, no checks',
      baseline: go ? 'Go libcni LoadConfList' : 'Go (not available)',
      unit: 'ms',
      base,
      ours: floor,
      ratio: base ? floor.median / base.median : Number.NaN,
      target: undefined,
      met: undefined,
      note: 'the least a Node loader pays: shows the target is reachable',
    },
  ];
}
