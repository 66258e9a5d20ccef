// Shared inputs and assertions of the plugin-input differential tests: configs, runtime
// arguments, canned plugin results, and the comparison of what a plugin received from each library.

import { expect } from 'vitest';
import { compareVersions } from '../../src/index.js';
import { RECORD_PLUGIN, type Received, type Rt, type Run } from './harness.js';

const BIG = '12345678901234567890';
const BIG_AS_GO_WRITES_IT = '12345678901234567000';
const HTML = '<a&b>';
const HTML_AS_GO_WRITES_IT = '\\u003ca\\u0026b\\u003e';

export const NETWORK = 'diffnet';
const CAPABILITY_ARGS = {
  portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
  bandwidth: { ingressRate: 1000, ingressBurst: 2000 },
  ips: ['10.1.0.9/24'],
};
const CNI_ARGS: [string, string][] = [
  ['IgnoreUnknown', '1'],
  ['K8S_POD_NAMESPACE', 'default'],
  ['K8S_POD_NAME', 'web-0'],
];
const DNS = { nameservers: ['10.0.0.53'], domain: 'example.org', search: ['example.org'], options: ['ndots:2'] };

/** A plausible result of spec version `version`; `n` varies the addresses per plugin. */
export function resultOf(version: string, n: number, options: { dns?: boolean } = {}): Record<string, unknown> {
  const address = `10.1.0.${n + 2}/24`;
  const dns = options.dns === false ? {} : { dns: DNS };
  if (version === '') return { ip4: { ip: address }, ...dns }; // an old plugin that names no version
  if (version === '0.1.0' || version === '0.2.0') {
    return { cniVersion: version, ip4: { ip: address, gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }] }, ...dns };
  }
  const ip = { address, gateway: '10.1.0.1', interface: 0 };
  return {
    cniVersion: version,
    interfaces: [{ name: `eth${n}`, mac: `02:00:00:00:00:0${n}`, sandbox: '/var/run/netns/diff' }],
    ips: [compareVersions(version, '1.0.0') < 0 ? { version: '4', ...ip } : ip],
    routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }],
    ...dns,
  };
}

/** The replies of a chain; a reference that cannot read 1.1.0 results (`legacy`) gets 1.0.0 ones. */
export function repliesFor(version: string, count: number, legacy: boolean): Record<string, unknown>[] {
  const replyVersion = legacy && version === '1.1.0' ? '1.0.0' : version;
  return Array.from({ length: count }, (_, n) => resultOf(replyVersion, n));
}

/** The plugin objects of the table: capabilities on/off/absent, runtimeConfig in the file, unknown keys. */
export const PLUGINS = [
  `{"type": "${RECORD_PLUGIN}", "tag": "p0", "capabilities": {"portMappings": true, "bandwidth": false},
    "runtimeConfig": {"replacedByCapabilities": true},
    "zeta": {"big": ${BIG}, "html": "${HTML}", "list": [1, 2.5, {"deep": [null, true, "x"]}]},
    "args": {"cni": {"labels": [{"key": "app", "value": "web"}]}}}`,
  `{"type": "${RECORD_PLUGIN}", "tag": "p1", "capabilities": {"mac": true},
    "runtimeConfig": {"keptBecauseNoCapabilityMatches": 1}, "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.1.0.0/24"}]]}}`,
  `{"type": "${RECORD_PLUGIN}", "tag": "p2", "alpha": {"nested": {"b": 2, "a": 1}}, "mtu": 1400}`,
];

export function conflist(version: string, plugins: readonly string[], extra = ''): string {
  const head = version === '' ? '' : `"cniVersion": "${version}",\n  `;
  return `{\n  ${head}"name": "${NETWORK}",${extra}\n  "plugins": [\n    ${plugins.join(',\n    ')}\n  ]\n}\n`;
}

// A single-plugin .conf: the plugin object carries the list's name and version itself.
export function singleConf(version: string): string {
  return `{"cniVersion": "${version}", "name": "${NETWORK}", "type": "${RECORD_PLUGIN}", "tag": "p0",
  "capabilities": {"bandwidth": true, "ips": false},
  "big": ${BIG}, "html": "${HTML}", "dns": {"nameservers": ["10.0.0.53"]}}\n`;
}

export const rtFull: Rt = {
  containerId: 'ctr-diff.1',
  netns: '/var/run/netns/diff',
  ifName: 'eth0',
  args: CNI_ARGS,
  capabilityArgs: CAPABILITY_ARGS,
};
export const rtBare: Rt = { containerId: 'ctr-diff.2', netns: '/var/run/netns/diff', ifName: 'net1' };

/** The keys of a JSON object text in the order written. */
function keysAsWritten(text: string): string[] {
  return Object.keys(JSON.parse(text) as object);
}

/**
 * The parts of one plugin's input that must match exactly: the CNI_* environment, and the stdin
 * as parsed JSON. Then the deliberate differences in the raw text: exact big integers and no
 * HTML escaping in ours, and ours keeps the file's key order where Go sorts keys.
 */
export function expectSameInput(go: Received, ours: Received, pluginText: string, options: { ignorePrevResult?: boolean } = {}): void {
  expect(ours.env).toEqual(go.env);
  if (options.ignorePrevResult) {
    const { prevResult: _go, ...goRest } = go.json;
    const { prevResult: _ours, ...ourRest } = ours.json;
    expect(ourRest).toEqual(goRest);
  } else {
    expect(ours.json).toEqual(go.json);
  }

  if (pluginText.includes(BIG)) {
    expect(ours.stdin).toContain(BIG);
    expect(ours.stdin).not.toContain(BIG_AS_GO_WRITES_IT);
    expect(go.stdin).toContain(BIG_AS_GO_WRITES_IT);
    expect(go.stdin).not.toContain(BIG);
  }
  if (pluginText.includes(HTML)) {
    expect(ours.stdin).toContain(`"${HTML}"`);
    expect(go.stdin).toContain(`"${HTML_AS_GO_WRITES_IT}"`);
    expect(go.stdin).not.toContain(HTML);
  }
  if (pluginText.includes('1e3')) {
    // Number and string spellings are kept as written; Go re-encodes them.
    expect(ours.stdin).toContain('[1.0,1e3,-2.5e-3,0.1]');
    expect(go.stdin).toContain('[1,1000,-0.0025,0.1]');
    expect(ours.stdin).toContain('"caf\\u00e9 \\u2028 \\"q\\" \\\\ \\/"');
    expect(go.stdin).toContain('"café \\u2028 \\"q\\" \\\\ /"');
  }
  const goKeys = Object.keys(go.json);
  expect(goKeys).toEqual([...goKeys].sort());
  const written = keysAsWritten(pluginText);
  expect(Object.keys(ours.json).slice(0, written.length)).toEqual(written);
}

export function expectOk(run: Run, what: string): void {
  expect(run.outcome, what).toMatchObject({ ok: true });
}

export function expectFailed(run: Run, pattern: RegExp): void {
  expect(run.outcome.ok).toBe(false);
  if (!run.outcome.ok) expect(run.outcome.error).toMatch(pattern);
}

/** The capability args a plugin object declares `true`, picked from `capabilityArgs`. */
export function runtimeConfigFor(
  pluginText: string,
  capabilityArgs: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  const declared = (JSON.parse(pluginText) as { capabilities?: Record<string, boolean> }).capabilities ?? {};
  const picked = Object.fromEntries(Object.entries(capabilityArgs ?? {}).filter(([name]) => declared[name] === true));
  return Object.keys(picked).length > 0 ? picked : undefined;
}
