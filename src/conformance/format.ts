import type { CheckStatus, ConformanceReport } from './types.js';

const LABELS: Record<CheckStatus, string> = { pass: 'pass', fail: 'FAIL', 'known-issue': 'known issue', skipped: 'skipped' };

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - text.length));
}

/**
 * Renders a report as a plain-text table: one row per check with its result, time and detail,
 * under a one-line verdict.
 */
export function formatConformanceReport(report: ConformanceReport): string {
  const counts = new Map<CheckStatus, number>();
  for (const check of report.checks) counts.set(check.status, (counts.get(check.status) ?? 0) + 1);
  const tally = (['pass', 'fail', 'known-issue', 'skipped'] as const)
    .filter((status) => counts.has(status))
    .map((status) => `${counts.get(status)} ${LABELS[status].toLowerCase()}`)
    .join(', ');
  const rows = report.checks.map((check) => [check.name, LABELS[check.status], `${Math.round(check.durationMs)} ms`, check.detail ?? '']);
  const header = ['CHECK', 'RESULT', 'TIME', 'DETAIL'];
  const widths = [0, 1, 2].map((column) => Math.max(header[column]!.length, ...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    `  ${pad(row[0]!, widths[0]!)}  ${pad(row[1]!, widths[1]!)}  ${' '.repeat(widths[2]! - row[2]!.length)}${row[2]}  ${row[3]}`.trimEnd();
  return [
    `plugin ${report.plugin}: ${report.passed ? 'PASSED' : 'FAILED'} (${tally})`,
    '',
    line(header),
    ...rows.map(line),
    '',
  ].join('\n');
}
