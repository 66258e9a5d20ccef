// Shared pieces of the conformance tests: when they can run, and what a run left behind.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { expect } from 'vitest';
import type { ConformanceReport } from '../../src/index.js';

export const REAL_PLUGINS = '/usr/lib/cni';
export const FAKE_PLUGINS = fileURLToPath(new URL('../../fixtures/plugins/conformance/', import.meta.url));

/** Why these tests cannot run here (they create network namespaces), or `undefined`. */
export function skipReason(plugins: readonly string[] = []): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'needs root: creates network namespaces';
  if (spawnSync('ip', ['-V']).status !== 0) return 'needs iproute2 (`ip`)';
  const missing = plugins.filter((plugin) => !existsSync(path.join(REAL_PLUGINS, plugin)));
  if (missing.length > 0) return `needs ${missing.join(', ')} in ${REAL_PLUGINS} (package containernetworking-plugins)`;
  return undefined;
}

/** The namespaces of this test process that still exist (runs name theirs `cnct-<pid>-...`). */
export function leftoverNamespaces(): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out.stdout
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter((name) => name.startsWith(`cnct-${process.pid}-`));
}

/** The checks that are not ok, by name, with their details for a readable failure. */
export function failures(report: ConformanceReport): Record<string, string | undefined> {
  return Object.fromEntries(report.checks.filter((check) => !check.ok).map((check) => [check.name, check.detail]));
}

/** Asserts that a report passed, showing the failing checks if not. */
export function expectPassed(report: ConformanceReport): void {
  expect(failures(report)).toEqual({});
  expect(report.passed).toBe(true);
}
