// The result rows of a benchmark run, the printed table and the JSON file.

import { cpus, loadavg, release } from 'node:os';
import type { ConfigName } from '../options.js';
import type { Summary } from './stats.js';

export interface Target {
  /** What the target is about: the ratio column, or an absolute value. */
  kind: 'ratio-max' | 'ratio-min' | 'delta-max';
  value: number;
}

export interface Row {
  bench: string;
  /** The library configuration the row measures, if it is about one. */
  config?: ConfigName | undefined;
  case: string;
  /** What the case is compared with. */
  baseline: string;
  unit: string;
  base: Summary | undefined;
  ours: Summary;
  /** ours / baseline for times; baseline / ours for throughput (higher is better); a delta for memory. */
  ratio: number;
  target: Target | undefined;
  met: boolean | undefined;
  note?: string | undefined;
}

export function judge(ratio: number, target: Target | undefined): boolean | undefined {
  if (!target || !Number.isFinite(ratio)) return undefined;
  if (target.kind === 'ratio-min') return ratio >= target.value;
  if (target.kind === 'delta-max') return ratio < target.value;
  return ratio <= target.value;
}

function targetText(target: Target | undefined): string {
  if (!target) return '';
  if (target.kind === 'ratio-min') return `>= ${target.value}`;
  if (target.kind === 'delta-max') return `< ${target.value} MB`;
  return `<= ${target.value}`;
}

function fixed(value: number | undefined, digits = 3): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

export function formatTable(rows: readonly Row[]): string {
  const header = ['#', 'case', 'baseline', 'unit', 'base med', 'base p95', 'ours med', 'ours p95', 'ratio', 'target', 'met'];
  const lines = rows.map((row) => [
    row.bench,
    row.case,
    row.baseline,
    row.unit,
    fixed(row.base?.median),
    fixed(row.base?.p95),
    fixed(row.ours.median),
    fixed(row.ours.p95),
    row.unit === 'MB' ? `${row.ratio >= 0 ? '+' : ''}${fixed(row.ratio, 1)} MB` : fixed(row.ratio, 2),
    targetText(row.target),
    row.met === undefined ? '' : row.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const render = (cells: readonly string[]) => cells.map((cell, column) => (column >= 4 && column <= 8 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ');
  return [render(header), widths.map((width) => '-'.repeat(width)).join('  '), ...lines.map(render)].join('\n');
}

export function machine(): Record<string, unknown> {
  return {
    node: process.version,
    platform: `${process.platform} ${release()}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    loadavg: loadavg(),
  };
}
