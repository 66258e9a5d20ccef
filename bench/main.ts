// `npm run bench`: runs the benchmarks (each against its baseline, in interleaved rounds), prints
// a table and writes the numbers to bench/results/. Options:
//   --quick        fewer rounds: a smoke run, not for judging targets
//   --only=1,2,5   run only these benchmarks
// Benchmarks of plugin runs measure the library in two configurations, `default` and `fast` (see
// bench/options.ts), each in its own process ("lane", bench/lane.ts), like the bare spawns.

import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { benchInvoke } from './b1-invoke.js';
import { benchChain, type ChainBreakdown } from './b2-chain.js';
import { benchRealChain, cleanupNamespaces, realChainProblem } from './b3-real.js';
import { benchLoad } from './b4-load.js';
import { benchConcurrency } from './b5-concurrency.js';
import { benchMemory, type MemoryRun } from './b6-memory.js';
import { GoBench } from './lib/go.js';
import { startLanes, type Lanes } from './lib/lanes.js';
import { formatTable, machine, type Row } from './lib/report.js';
import { BENCH_SOURCE, buildGoProgram, createWorkspace, goProblem } from './lib/setup.js';
import { CONFIG_NAMES, CONFIG_TEXT, type BenchOptions, type ConfigName } from './options.js';

const args = process.argv.slice(2);
const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const options: BenchOptions = {
  quick: args.includes('--quick'),
  only: new Set(only ? only.split(',') : ['1', '2', '3', '4', '5', '6']),
};

const rows: Row[] = [];
const skipped: { bench: string; reason: string }[] = [];
const failed: { bench: string; error: string }[] = [];
// The 1-minute load average when each benchmark started: the machine may be shared.
const load: Record<string, number> = {};
let breakdown: Record<ConfigName, ChainBreakdown> | undefined;
let memory: MemoryRun[] | undefined;

process.on('SIGINT', () => {
  cleanupNamespaces();
  process.exit(130);
});

const workspace = await createWorkspace();
let go: GoBench | undefined;
let lanes: Lanes | undefined;
try {
  if (['1', '2', '5'].some((bench) => options.only.has(bench))) lanes = startLanes();
  const problem = goProblem();
  if (problem) {
    for (const bench of ['2', '4']) if (options.only.has(bench)) skipped.push({ bench, reason: `Go side: ${problem}` });
  } else if (options.only.has('2') || options.only.has('4')) {
    go = new GoBench(buildGoProgram(workspace));
  }

  const steps: [string, string, () => Promise<void>][] = [
    ['1', 'one invocation', async () => void rows.push(...(await benchInvoke(workspace, options, lanes!)))],
    [
      '2',
      '3-plugin chain vs Go',
      async () => {
        const result = await benchChain(workspace, options, lanes!, go);
        rows.push(...result.rows);
        breakdown = result.breakdown;
      },
    ],
    [
      '3',
      'real plugins',
      async () => {
        const problem = realChainProblem();
        if (problem) skipped.push({ bench: '3', reason: problem });
        else rows.push(...(await benchRealChain(workspace, options)));
      },
    ],
    ['4', 'config directory vs Go', async () => void rows.push(...(await benchLoad(workspace, options, go)))],
    ['5', 'concurrency', async () => void rows.push(...(await benchConcurrency(workspace, options, lanes!)))],
    [
      '6',
      'memory',
      async () => {
        const result = await benchMemory(workspace, options);
        rows.push(...result.rows);
        memory = result.runs;
      },
    ],
  ];
  for (const [bench, title, step] of steps) {
    if (!options.only.has(bench)) continue;
    load[bench] = loadavg()[0]!;
    process.stderr.write(`bench ${bench}: ${title} (load average ${load[bench]!.toFixed(2)})...\n`);
    const started = performance.now();
    try {
      await step();
    } catch (error) {
      failed.push({ bench, error: (error as Error).stack ?? String(error) });
      process.stderr.write(`bench ${bench} failed: ${(error as Error).message}\n`);
    }
    process.stderr.write(`bench ${bench}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
} finally {
  await go?.close();
  await lanes?.close();
  cleanupNamespaces();
  await workspace.dispose();
}

const lines = [formatTable(rows)];
for (const row of rows) if (row.note) lines.push(`  ${row.bench} ${row.case}: ${row.note}`);
if (breakdown) {
  for (const config of CONFIG_NAMES) {
    const part = breakdown[config];
    lines.push(
      `  2 breakdown, ${config} config (mean per ADD+DEL): ${part.total.toFixed(3)} ms = ${part.inExecutor.toFixed(3)} ms in the executor (6 runs) + ${part.outside.toFixed(3)} ms outside it`,
    );
  }
}
if (rows.some((row) => row.config)) for (const config of CONFIG_NAMES) lines.push(`  ${config} config = ${CONFIG_TEXT[config]}`);
for (const skip of skipped) lines.push(`  ${skip.bench} skipped: ${skip.reason}`);
for (const failure of failed) lines.push(`  ${failure.bench} FAILED: ${failure.error}`);
lines.push(`  load average at the start of each benchmark: ${Object.entries(load).map(([bench, value]) => `${bench}: ${value.toFixed(2)}`).join(', ')} (${machine()['cpus']} CPUs)`);
if (options.quick) lines.push('  --quick: too few rounds to judge the targets');
console.log(lines.join('\n'));

const results = path.join(BENCH_SOURCE, 'results');
await mkdir(results, { recursive: true });
const report = { date: new Date().toISOString(), machine: machine(), options: { ...options, only: [...options.only] }, configs: CONFIG_TEXT, rows, breakdown, memory, load, skipped, failed };
const stamp = report.date.replaceAll(':', '-').replace(/\..*$/, '');
await writeFile(path.join(results, `bench-${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
await writeFile(path.join(results, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(`results: ${path.relative(process.cwd(), path.join(results, `bench-${stamp}.json`))}`);
if (failed.length > 0) process.exitCode = 1;
