// Runs plugin invocations in a fresh process (started with --expose-gc) and reports its resident
// set after 1,000 and after all of them. Argument: a JSON file with the settings below.
// Eight lanes alternate ADD and DEL of a 1-plugin list on their own attachment; every ADD or DEL
// is one invocation of the fake plugin.

import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import path from 'node:path';
import { CNI, parseConfList } from '../src/index.js';
import { bareSpawn } from './lib/bare.js';
import { configOptions } from './lib/configs.js';
import type { ConfigName } from './options.js';

interface Settings {
  /** `library`: ADD and DEL through the library; `spawn`: bare spawns of the same plugin. */
  mode: 'library' | 'spawn';
  /** The library's configuration (mode `library`). */
  config: ConfigName;
  /** Measure after a memory-reducing ("last resort") GC, not only after an ordinary one. */
  reduce: boolean;
  binDir: string;
  cacheDir: string;
  conflist: string;
  checkpoints: number[];
  lanes: number;
}

const settings = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Settings;
const gc = (globalThis as { gc?: (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const cni = new CNI({ ...configOptions(settings.config), path: [settings.binDir], cacheDir: settings.cacheDir });
const list = parseConfList(settings.conflist);

const MB = 2 ** 20;
const file = path.join(settings.binDir, list.plugins[0]!.type);
const envOf = (command: string) => ({ ...(process.env as Record<string, string>), CNI_COMMAND: command, CNI_NETNS: '/var/run/netns/bench', CNI_IFNAME: 'eth0', CNI_ARGS: '', CNI_PATH: settings.binDir });

function usageAfterGc() {
  gc!();
  gc!();
  return process.memoryUsage();
}

function measure(invocations: number) {
  const usage = usageAfterGc();
  const plainRssMB = usage.rss / MB;
  // A "last resort" GC also gives back the young generation, which V8 grows over time in any
  // long-running process (bare spawns too); what remains is what the process really holds.
  if (settings.reduce) gc!({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  const reduced = process.memoryUsage();
  return {
    invocations,
    plainRssMB,
    rssMB: reduced.rss / MB,
    heapUsedMB: reduced.heapUsed / MB,
    heapTotalMB: reduced.heapTotal / MB,
    externalMB: reduced.external / MB,
    arrayBuffersMB: reduced.arrayBuffers / MB,
    spacesMB: Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, Math.round(space.space_size / MB)])),
  };
}

const points = [];
let done = 0;
for (const checkpoint of settings.checkpoints) {
  const lanes = Array.from({ length: settings.lanes }, async (_, lane) => {
    const rt = { containerId: `mem-${lane}`, netns: '/var/run/netns/bench', ifName: 'eth0' };
    // Each lane takes invocations two at a time (ADD, then DEL) until the checkpoint is reached.
    while (done < checkpoint) {
      done += 2;
      if (settings.mode === 'spawn') {
        await bareSpawn({ file, stdin: settings.conflist, env: { ...envOf('ADD'), CNI_CONTAINERID: rt.containerId } });
        await bareSpawn({ file, stdin: settings.conflist, env: { ...envOf('DEL'), CNI_CONTAINERID: rt.containerId } });
      } else {
        await cni.addNetworkList(list, rt);
        await cni.delNetworkList(list, rt);
      }
    }
  });
  await Promise.all(lanes);
  points.push(measure(done));
}
process.stdout.write(`${JSON.stringify({ points })}\n`);
