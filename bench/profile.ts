// `npm run bench:profile -- <scenario> [count]`: runs bench/profile-target.ts under the V8 CPU
// profiler and prints where the time went, grouped by area (self time).
//
// Caveat: the profiler's sampling signal interrupts fork(), which the kernel then restarts, so
// time inside child_process spawn is inflated under the profiler; read the JS areas.

import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The area a frame belongs to, for the summary. */
export function area(url: string, functionName: string): string {
  if (url === '') return `(${functionName})`;
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (module) return `npm:${module[1]}`;
  const own = /\/bench\/\.out\/(src\/[^/]+(?:\/[^/]+)?)\.js$/.exec(url);
  if (own) return own[1]!;
  if (url.includes('/bench/.out/bench/')) return 'bench harness';
  if (url.startsWith('node:internal/child_process') || url === 'node:child_process') return 'node:child_process';
  if (url.startsWith('node:internal/fs') || url === 'node:fs' || url === 'node:fs/promises') return 'node:fs';
  if (url.startsWith('node:internal/streams') || url === 'node:net' || url === 'node:stream') return 'node:streams';
  if (url.startsWith('node:')) return 'node:(other)';
  return url;
}

export function summarizeProfile(profile: Profile): { totalMs: number; areas: [string, number][]; functions: [string, number][] } {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    total += delta;
    const frame = nodes.get(id)!.callFrame;
    const name = area(frame.url, frame.functionName);
    byArea.set(name, (byArea.get(name) ?? 0) + delta);
    const fn = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\//, '')}:${frame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + delta);
  });
  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).map(([key, us]) => [key, us / 1000] as [string, number]);
  return { totalMs: total / 1000, areas: sorted(byArea), functions: sorted(byFunction) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [scenario = 'chain', count = '1000'] = process.argv.slice(2);
  const dir = await mkdtemp(path.join(tmpdir(), 'libcni-profile-'));
  try {
    const target = fileURLToPath(new URL('./profile-target.js', import.meta.url));
    const run = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '10000', '--cpu-prof-dir', dir, target, scenario, count], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`profile target failed: ${run.stderr}`);
    const stats = JSON.parse(run.stdout) as { count: number };
    const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('no profile written');
    const summary = summarizeProfile(JSON.parse(await readFile(path.join(dir, file), 'utf8')) as Profile);
    const perOp = (ms: number) => ((ms / stats.count) * 1000).toFixed(1).padStart(8);
    console.log(`${run.stdout.trim()}\nprofiled ${summary.totalMs.toFixed(0)} ms; self time per operation (us), by area:`);
    for (const [name, ms] of summary.areas.slice(0, 20)) console.log(`${perOp(ms)}  ${((100 * ms) / summary.totalMs).toFixed(1).padStart(5)}%  ${name}`);
    console.log('top functions:');
    for (const [name, ms] of summary.functions.slice(0, 25)) console.log(`${perOp(ms)}  ${((100 * ms) / summary.totalMs).toFixed(1).padStart(5)}%  ${name}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
