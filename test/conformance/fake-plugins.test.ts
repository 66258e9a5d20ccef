import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConformance } from '../../src/index.js';
import { FAKE_PLUGINS, expectPassed, failures, leftoverNamespaces, skipReason } from './support.js';

// Each fake breaks one rule; the checks named here, and only they, must catch the break. Some
// also pin down what the report says about it.
interface Break {
  fixture: string;
  failing: string[];
  capabilities?: boolean;
  detail?: Record<string, string | RegExp>;
}

const BREAKS: Break[] = [
  {
    fixture: 'no-supported-versions',
    failing: ['version'],
    detail: { version: 'the VERSION answer has no supportedVersions: {"cniVersion":"1.0.0"}' },
  },
  { fixture: 'wrong-result-version', failing: ['add'], detail: { add: /^the result's cniVersion is "0\.4\.0", the config's is "1\.0\.0"/ } },
  { fixture: 'bad-result-shape', failing: ['add'], detail: { add: 'invalid 1.0.0 result: expected an address in CIDR notation at ips.0.address' } },
  { fixture: 'check-fails', failing: ['check'], detail: { check: 'CHECK after ADD exited with code 1: error 999: check failed' } },
  { fixture: 'del-twice-fails', failing: ['del-twice'], detail: { 'del-twice': 'the second DEL exited with code 1: error 3: no attachment cnct-1' } },
  { fixture: 'del-needs-netns', failing: ['del-without-netns'] },
  { fixture: 'del-needs-prevresult', failing: ['del-without-prevresult'] },
  {
    fixture: 'error-not-json',
    failing: ['error-malformed-config', 'error-unsupported-version'],
    detail: { 'error-unsupported-version': /^failed but its stdout is not a JSON error object: exited with code 1, stdout: error: incompatible/ },
  },
  {
    fixture: 'error-no-code',
    failing: ['error-malformed-config', 'error-unsupported-version'],
    detail: { 'error-unsupported-version': 'the error object has no numeric code: {"msg":"incompatible CNI versions"}' },
  },
  {
    fixture: 'exit-zero-on-error',
    failing: ['error-malformed-config', 'error-unsupported-version'],
    detail: { 'error-malformed-config': 'exited 0 instead of failing; stdout: {"code":6,"msg":"cannot decode the config: unexpected end of JSON"}' },
  },
  { fixture: 'accepts-any-version', failing: ['error-unsupported-version'] },
  { fixture: 'strict-args', failing: ['cni-args-ignore-unknown'] },
  {
    fixture: 'capability-crash',
    failing: ['capability-args'],
    capabilities: true,
    detail: { 'capability-args': 'ADD with runtimeConfig portMappings exited with code 2, no output; stderr: panic: runtimeConfig' },
  },
];

describe.skipIf(skipReason() !== undefined)('runConformance on fake plugins', () => {
  let stateDir = '';
  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'cni-conformance-fakes-'));
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
    expect(leftoverNamespaces()).toEqual([]);
  });

  const config = (type: string, capabilities = false) =>
    JSON.stringify({ cniVersion: '1.0.0', name: 'fake', type, dataDir: path.join(stateDir, type), ...(capabilities ? { capabilities: { portMappings: true } } : {}) });

  it('passes a fake plugin that keeps every rule', async () => {
    const report = await runConformance({ pluginType: 'conformant', path: FAKE_PLUGINS, config: config('conformant', true) });
    expectPassed(report);
    expect(report.checks.every((check) => check.status === 'pass')).toBe(true);
  });

  it.concurrent.each(BREAKS)('catches $fixture in $failing', async ({ fixture, failing, capabilities, detail }) => {
    const report = await runConformance({ pluginType: fixture, path: FAKE_PLUGINS, config: config(fixture, capabilities) });
    expect(report.passed).toBe(false);
    const failed = failures(report);
    expect(Object.keys(failed)).toEqual(failing);
    for (const [name, expected] of Object.entries(detail ?? {})) {
      if (typeof expected === 'string') expect(failed[name]).toBe(expected);
      else expect(failed[name]).toMatch(expected);
    }
  });
});
