// Runs plugin invocations in a fresh process (started with --expose-gc) and reports its resident
// set after 1,000 and after all of them. Argument: a JSON file with the settings below.
// Eight lanes alternate ADD and DEL of a 1-plugin list on their own attachment; every ADD or DEL
// is one invocation of the fake plugin.

import { readFileSync } from 'node:fs';
import { CNI, parseConfList } from '../src/index.js';

interface Settings {
  binDir: string;
  cacheDir: string;
  conflist: string;
  checkpoints: number[];
  lanes: number;
}

const settings = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Settings;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const cni = new CNI({ path: [settings.binDir], cacheDir: settings.cacheDir });
const list = parseConfList(settings.conflist);

function measure(invocations: number): { invocations: number; rssMB: number; heapUsedMB: number } {
  gc!();
  gc!();
  const usage = process.memoryUsage();
  return { invocations, rssMB: usage.rss / 2 ** 20, heapUsedMB: usage.heapUsed / 2 ** 20 };
}

const points = [];
let done = 0;
for (const checkpoint of settings.checkpoints) {
  const lanes = Array.from({ length: settings.lanes }, async (_, lane) => {
    const rt = { containerId: `mem-${lane}`, netns: '/var/run/netns/bench', ifName: 'eth0' };
    // Each lane takes invocations two at a time (ADD, then DEL) until the checkpoint is reached.
    while (done < checkpoint) {
      done += 2;
      await cni.addNetworkList(list, rt);
      await cni.delNetworkList(list, rt);
    }
  });
  await Promise.all(lanes);
  points.push(measure(done));
}
process.stdout.write(`${JSON.stringify({ points })}\n`);
