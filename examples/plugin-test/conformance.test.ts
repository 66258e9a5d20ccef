// A CNI plugin's test suite built on libcni's conformance harness: runConformance runs the plugin
// through the spec (VERSION, ADD, CHECK, DEL and their edge cases) in throwaway network
// namespaces, and each of its checks becomes one test here. Copy this file and vitest.config.ts
// into your plugin's repository and point it at your binary:
//
//   CNI_PLUGIN=./bin/my-plugin CNI_PLUGIN_CONFIG=./my-plugin.conf.json npx vitest run
//
// CNI_PLUGIN      the plugin: a path to the binary, or a plugin type found on CNI_PATH (default bridge)
// CNI_PATH        where the plugin and the plugins it delegates to (IPAM) live (default /usr/lib/cni)
// CNI_PLUGIN_CONFIG  a config for it: one plugin, or a list whose plugins before yours set up what
//                 it needs (default: ./bridge.conf.json for bridge, libcni's built-in config for the
//                 plugin types it knows, else a bare {"type": ...})
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
// In your own code: from 'libcni'.
import { formatConformanceReport, runConformance, splitPath, type ConformanceReport } from '../../dist/index.js';

const HERE = import.meta.dirname;
const plugin = process.env['CNI_PLUGIN'] || 'bridge';
const cniPath = splitPath(process.env['CNI_PATH'] || '/usr/lib/cni');
// A binary given by path is found through its own directory, ahead of CNI_PATH.
const pluginType = path.basename(plugin);
const pluginPath = plugin.includes('/') ? [path.dirname(path.resolve(plugin)), ...cniPath] : cniPath;
const configFile = process.env['CNI_PLUGIN_CONFIG'] || (pluginType === 'bridge' ? path.join(HERE, 'bridge.conf.json') : undefined);

// The checks runConformance runs, in order. A check that does not apply to a plugin is reported
// as `skipped`, and a failure matching a known bug of a released plugin as `known-issue`; both
// count as ok.
const CHECKS = [
  'version',
  'add',
  'check',
  'del',
  'del-twice',
  'del-without-netns',
  'del-without-prevresult',
  'error-malformed-config',
  'error-unsupported-version',
  'cni-args-ignore-unknown',
  'capability-args',
];

/** Why the run cannot happen on this machine, or undefined. */
function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux: the harness runs the plugin in network namespaces';
  if (process.getuid?.() !== 0) return 'needs root: the harness creates network namespaces (run it with sudo)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'needs iproute2 (`ip`): apt-get install -y iproute2';
  // A plugin you named is never skipped: if it is missing, the run fails and says where it looked.
  if (!process.env['CNI_PLUGIN'] && !pluginPath.some((dir) => existsSync(path.join(dir, pluginType)))) {
    return `needs the ${pluginType} plugin in ${pluginPath.join(':')}: apt-get install -y containernetworking-plugins`;
  }
  return undefined;
}

const skip = skipReason();
if (skip !== undefined) console.warn(`plugin-test: skipping the conformance run of ${pluginType}: ${skip}`);

describe.skipIf(skip !== undefined)(`CNI conformance of ${pluginType}`, () => {
  let report: ConformanceReport;

  beforeAll(async () => {
    report = await runConformance({
      pluginType,
      path: pluginPath,
      config: configFile === undefined ? undefined : await readFile(configFile, 'utf8'),
      // Bounds the run: on abort the plugins in flight are killed and the namespaces removed.
      signal: AbortSignal.timeout(120_000),
    });
  });

  it.each(CHECKS)('%s', (name) => {
    const check = report.checks.find((entry) => entry.name === name);
    expect(check, `${name} did not run (see the report below)`).toBeDefined();
    expect(check?.ok, `${name}: ${check?.status}: ${check?.detail ?? 'no detail'}`).toBe(true);
  });

  // Also catches what the list above does not name: a failed setup (plugin not found, bad config),
  // a failed cleanup, or checks added by a later libcni. Its message is the whole report, as
  // `cnitool conformance` prints it.
  it('passes as a whole', () => {
    expect(report.passed, `\n${formatConformanceReport(report)}`).toBe(true);
  });
});

// When the run is skipped, the reason shows in the test list too.
if (skip !== undefined) it.skip(skip, () => {});
