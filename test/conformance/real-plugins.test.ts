import { afterAll, describe, expect, it } from 'vitest';
import { runConformance, type ConformanceReport } from '../../src/index.js';
import { REAL_PLUGINS, expectPassed, leftoverNamespaces, skipReason } from './support.js';

const PLUGINS = ['bridge', 'host-local', 'ptp', 'macvlan', 'tuning', 'portmap', 'firewall'] as const;
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
const skip = skipReason([...PLUGINS, 'bandwidth']);

describe.skipIf(skip !== undefined)('runConformance on the real plugins', () => {
  afterAll(() => {
    expect(leftoverNamespaces()).toEqual([]);
  });

  const statuses = (report: ConformanceReport) => Object.fromEntries(report.checks.map((check) => [check.name, check.status]));

  it.each(PLUGINS.filter((plugin) => plugin !== 'portmap'))('passes %s with its built-in config', async (plugin) => {
    const report = await runConformance({ pluginType: plugin, path: REAL_PLUGINS });
    expectPassed(report);
    expect(report.checks.map((check) => check.name)).toEqual(CHECKS);
    expect(Object.values(statuses(report)).filter((status) => status === 'known-issue')).toEqual([]);
  });

  it('passes portmap, naming its IPv4 CHECK bug as a known issue', async () => {
    const report = await runConformance({ pluginType: 'portmap', path: REAL_PLUGINS });
    expectPassed(report);
    expect(statuses(report)).toMatchObject({ check: 'pass', 'capability-args': 'known-issue' });
    const detail = report.checks.find((check) => check.name === 'capability-args')?.detail;
    expect(detail).toMatch(/could not check ipv6 dnat.*known issue: portmap CHECK/);
  });

  it('passes bandwidth, naming its CHECK crash without runtimeConfig as a known issue', async () => {
    const report = await runConformance({ pluginType: 'bandwidth', path: REAL_PLUGINS });
    expectPassed(report);
    expect(statuses(report)).toMatchObject({ check: 'known-issue', 'capability-args': 'pass' });
  });

  it('tests a chained plugin behind the setup chain of a given config list', async () => {
    const config = JSON.stringify({
      cniVersion: '0.4.0',
      name: 'given',
      plugins: [
        { type: 'ptp', ipMasq: false, ipam: { type: 'host-local', subnet: '10.98.0.0/24' } },
        { type: 'tuning', sysctl: { 'net.ipv4.conf.all.log_martians': '1' } },
        { type: 'portmap' },
      ],
    });
    const progress: string[] = [];
    const report = await runConformance({ pluginType: 'tuning', path: [REAL_PLUGINS], config, onProgress: (check) => progress.push(check) });
    expectPassed(report);
    expect(progress).toEqual(CHECKS);
    expect(report.checks.find((check) => check.name === 'add')?.detail).toBe('result 0.4.0: 2 interfaces, 1 IPs');
  });
});
