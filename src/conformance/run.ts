import path from 'node:path';
import { CNI } from '../cni.js';
import { AbortError, InvalidArgumentError } from '../errors.js';
import { findPlugin, splitPath, validatePluginType } from '../invoke/find-plugin.js';
import { createChecks, type Verdict } from './checks.js';
import { resolveConfig } from './config.js';
import { Harness } from './harness.js';
import { MASTER_LINK } from './known-plugins.js';
import { Sandbox } from './sandbox.js';
import { CHECK_NAMES, type ConformanceCheck, type ConformanceOptions, type ConformanceReport } from './types.js';

function record(name: string, verdict: Verdict, started: number): ConformanceCheck {
  const check: ConformanceCheck = {
    name,
    ok: verdict.status !== 'fail',
    status: verdict.status,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
  };
  if (verdict.detail !== undefined && verdict.detail !== '') check.detail = verdict.detail;
  return check;
}

function report(plugin: string, checks: ConformanceCheck[]): ConformanceReport {
  return { plugin, passed: checks.every((check) => check.ok), checks };
}

function aborted(signal: AbortSignal | undefined): never {
  throw new AbortError('conformance run aborted', { cause: signal?.reason });
}

interface Prepared {
  harness: Harness;
  sandbox: Sandbox;
}

async function prepare(options: ConformanceOptions, paths: string[]): Promise<Prepared> {
  const { signal } = options;
  const file = await findPlugin(options.pluginType, paths);
  const unavailable = await Sandbox.unavailable();
  if (unavailable) throw new Error(unavailable);
  const sandbox = await Sandbox.create(signal);
  try {
    const config = resolveConfig(options.pluginType, options.config, sandbox.dir);
    await sandbox.addLink(MASTER_LINK, signal);
    const executor = sandbox.executor();
    const cni = new CNI({ path: paths, cacheDir: options.cacheDir ?? path.join(sandbox.dir, 'cache'), executor, pluginTimeout: 30_000 });
    const harness = new Harness({ pluginType: options.pluginType, file, paths, ...config, sandbox, cni, executor, signal });
    return { harness, sandbox };
  } catch (error) {
    await sandbox.dispose();
    throw error;
  }
}

/**
 * Runs a CNI plugin through the spec in throwaway network namespaces: VERSION, ADD (result shape
 * and version), CHECK, DEL (twice, without netns, without prevResult), error objects for bad
 * input, `CNI_ARGS` with `IgnoreUnknown`, and capability args. Every plugin runs inside a "host"
 * namespace made for the run; chained plugins get an interface from a setup chain first. The
 * namespaces and temp files are removed afterwards, also on failure. Needs root and iproute2.
 *
 * @example
 * ```ts
 * const report = await runConformance({ pluginType: 'bridge', path: '/usr/lib/cni' });
 * console.log(formatConformanceReport(report));
 * ```
 *
 * @throws {InvalidArgumentError} `ERR_CNI_INVALID_ARG` for a missing or malformed plugin type.
 * @throws {AbortError} `ERR_CNI_ABORTED` when `signal` fires (after cleaning up).
 */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  if (typeof options?.pluginType !== 'string') {
    throw new InvalidArgumentError(`Expected \`pluginType\` to be a string, got ${typeof options?.pluginType}`);
  }
  validatePluginType(options.pluginType);
  const { pluginType, signal, onProgress } = options;
  const paths = splitPath(options.path);
  if (signal?.aborted) aborted(signal);

  const setupStarted = performance.now();
  let prepared: Prepared;
  try {
    prepared = await prepare(options, paths);
  } catch (error) {
    if (signal?.aborted) aborted(signal);
    return report(pluginType, [record('setup', { status: 'fail', detail: (error as Error).message }, setupStarted)]);
  }

  const { harness, sandbox } = prepared;
  const checks: ConformanceCheck[] = [];
  try {
    const runners = createChecks(harness);
    for (const name of CHECK_NAMES) {
      if (signal?.aborted) break;
      onProgress?.(name);
      const started = performance.now();
      let verdict: Verdict;
      try {
        verdict = await runners[name]();
      } catch (error) {
        if (signal?.aborted) break;
        verdict = { status: 'fail', detail: (error as Error).message };
      }
      checks.push(record(name, verdict, started));
    }
  } finally {
    const started = performance.now();
    if (!signal?.aborted) await harness.detachAll().catch(() => undefined);
    const problems = await sandbox.dispose();
    if (problems.length > 0) checks.push(record('cleanup', { status: 'fail', detail: problems.join('; ') }, started));
  }
  if (signal?.aborted) aborted(signal);
  return report(pluginType, checks);
}
