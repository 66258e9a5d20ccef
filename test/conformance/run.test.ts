import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { formatConformanceReport, runConformance, type ConformanceReport } from '../../src/index.js';
import { FAKE_PLUGINS, leftoverNamespaces, skipReason } from './support.js';

describe('formatConformanceReport', () => {
  it('renders one row per check under a verdict line', () => {
    const report: ConformanceReport = {
      plugin: 'portmap',
      passed: true,
      checks: [
        { name: 'version', ok: true, status: 'pass', detail: 'supports 1.0.0', durationMs: 3.2 },
        { name: 'capability-args', ok: true, status: 'known-issue', detail: 'CHECK failed — known issue', durationMs: 120.6 },
        { name: 'check', ok: true, status: 'skipped', detail: 'not for 0.3.1', durationMs: 0 },
      ],
    };
    expect(formatConformanceReport(report)).toMatchInlineSnapshot(`
      "plugin portmap: PASSED (1 pass, 1 known issue, 1 skipped)

        CHECK            RESULT         TIME  DETAIL
        version          pass           3 ms  supports 1.0.0
        capability-args  known issue  121 ms  CHECK failed — known issue
        check            skipped        0 ms  not for 0.3.1
      "
    `);
    expect(formatConformanceReport({ plugin: 'x', passed: false, checks: [{ name: 'setup', ok: false, status: 'fail', detail: 'no', durationMs: 1 }] })).toMatch(
      /^plugin x: FAILED \(1 fail\)\n/,
    );
  });
});

describe('runConformance arguments', () => {
  it('rejects a plugin type that is not a file name', async () => {
    await expect(runConformance({ pluginType: '../bridge', path: FAKE_PLUGINS })).rejects.toMatchObject({ code: 'ERR_CNI_INVALID_ARG' });
  });

  it('rejects at once when the signal has already fired', async () => {
    await expect(runConformance({ pluginType: 'conformant', path: FAKE_PLUGINS, signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ERR_CNI_ABORTED',
    });
  });

  it('reports a plugin that is not on the path as a failed setup', async () => {
    const report = await runConformance({ pluginType: 'nothere', path: FAKE_PLUGINS });
    expect(report).toMatchObject({ plugin: 'nothere', passed: false, checks: [{ name: 'setup', ok: false, status: 'fail' }] });
    expect(report.checks[0]?.detail).toContain('failed to find plugin "nothere"');
  });
});

describe.skipIf(skipReason() !== undefined)('runConformance setup and cleanup', () => {
  it('reports a config that is not JSON as a failed setup and leaves nothing behind', async () => {
    const report = await runConformance({ pluginType: 'conformant', path: FAKE_PLUGINS, config: '{"cniVersion":' });
    expect(report.checks).toEqual([expect.objectContaining({ name: 'setup', ok: false, detail: expect.stringMatching(/^the config is not valid JSON/) })]);
    expect(leftoverNamespaces()).toEqual([]);
  });

  it('reports a config for another plugin type as a failed setup', async () => {
    const report = await runConformance({ pluginType: 'conformant', path: FAKE_PLUGINS, config: '{"type":"bridge"}' });
    expect(report.checks[0]?.detail).toBe('the config is for plugin type "bridge", not "conformant"');
  });

  it('stops when aborted mid-run, cleans up and rejects', async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), 'cni-conformance-abort-'));
    onTestFinished(() => rm(stateDir, { recursive: true, force: true }));
    const controller = new AbortController();
    const seen: string[] = [];
    const run = runConformance({
      pluginType: 'conformant',
      path: FAKE_PLUGINS,
      config: JSON.stringify({ cniVersion: '1.0.0', name: 'fake', type: 'conformant', dataDir: stateDir }),
      signal: controller.signal,
      onProgress: (check) => {
        seen.push(check);
        if (check === 'del') controller.abort(new Error('enough'));
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'ERR_CNI_ABORTED', cause: new Error('enough') });
    expect(seen).toEqual(['version', 'add', 'check', 'del']);
    expect(leftoverNamespaces()).toEqual([]);
  });
});
