// The Node lanes (bench/lane.ts): one process for bare spawns and one per library configuration,
// driven one request at a time so that their rounds interleave like variants in one process.

import { fileURLToPath } from 'node:url';
import type { ConfigName } from '../options.js';
import { LineServer } from './server.js';

const LANE = fileURLToPath(new URL('../lane.js', import.meta.url));

export type Lanes = Readonly<Record<'baseline' | ConfigName, LineServer>> & { close(): Promise<void> };

export function startLanes(): Lanes {
  const start = (name: string) => new LineServer(`lane ${name}`, process.execPath, [LANE, name]);
  const lanes = { baseline: start('baseline'), default: start('default'), fast: start('fast') };
  return { ...lanes, close: async () => void (await Promise.all(Object.values(lanes).map((lane) => lane.close()))) };
}
