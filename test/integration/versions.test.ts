// The same bridge + host-local network at every config version the real plugins speak, with
// CNI_ARGS asking host-local for a fixed address: the result shape of each version, CHECK allowed
// from 0.4.0 on, CNI_ARGS kept in the cache and replayed by a DEL that does not pass them.

import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipJson, realPluginSkipReason, type IpLink } from '../helpers/netns.js';
import { MAC, bridgePlugin, conflist, failed, ipv4Of, ok, useSandboxes } from './lab.js';

const skip = realPluginSkipReason(['bridge', 'host-local']);

const ADDRESS = '10.199.16.50';
const ARGS: [string, string][] = [
  ['IgnoreUnknown', '1'],
  ['K8S_POD_NAME', 'web-0'],
  ['IP', ADDRESS],
];

function expectedResult(version: string, netns: string, bridge: string): unknown {
  const ip = { address: `${ADDRESS}/24`, gateway: '10.199.16.1', interface: 2 };
  const interfaces = [
    { name: bridge, mac: expect.stringMatching(MAC) },
    { name: expect.stringMatching(/^veth/), mac: expect.stringMatching(MAC) },
    { name: 'eth0', mac: expect.stringMatching(MAC), sandbox: netns },
  ];
  switch (version) {
    case '0.1.0':
    case '0.2.0':
      return { cniVersion: version, ip4: { ip: `${ADDRESS}/24`, gateway: '10.199.16.1', routes: [{ dst: '0.0.0.0/0' }] }, dns: {} };
    case '0.3.1':
    case '0.4.0':
      return { cniVersion: version, interfaces, ips: [{ version: '4', ...ip }], routes: [{ dst: '0.0.0.0/0' }], dns: {} };
    default:
      return { cniVersion: version, interfaces, ips: [ip], routes: [{ dst: '0.0.0.0/0' }], dns: {} };
  }
}

describe.skipIf(skip !== undefined)(`real plugins: config versions and CNI_ARGS${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const sandbox = useSandboxes();

  it.each(['0.1.0', '0.2.0', '0.3.1', '0.4.0', '1.0.0'])('cniVersion %s', async (version) => {
    const lab = await sandbox();
    const ctr = await lab.addContainer();
    const network = `it-v${version.replaceAll('.', '')}`;
    const { file } = await lab.writeConfig('10-v.conflist', conflist(network, [bridgePlugin(lab, { subnet: '10.199.16.0/24' })], version));
    const rt = { containerId: `ctr-v${version}`, netns: ctr.netns, ifName: 'eth0' };

    const [add, check, cached] = await lab.driver({
      config: { file },
      ops: [
        { op: 'add', rt: { ...rt, args: ARGS } },
        { op: 'check', rt },
        { op: 'cached', rt },
      ],
    });
    const result = ok(add);
    expect(result).toEqual(expectedResult(version, ctr.netns, lab.bridge));
    expect(ok(cached)).toEqual(result);
    if (version === '0.4.0' || version === '1.0.0') {
      expect(ok(check)).toBeNull();
    } else {
      expect(failed(check)).toMatchObject({ code: 'ERR_CNI_VERSION', cniCode: 1, command: 'CHECK' });
    }
    const [eth0] = await ipJson<IpLink[]>('-n', ctr.name, 'addr', 'show', 'eth0');
    expect(ipv4Of(eth0)).toEqual([`${ADDRESS}/24`]);
    expect(await lab.reservations(network)).toEqual([ADDRESS]);

    const entry = JSON.parse(await readFile(lab.cacheFile(network, rt.containerId), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(entry)).toEqual(['kind', 'containerId', 'config', 'ifName', 'networkName', 'netns', 'cniArgs', 'result']);
    expect(entry['cniArgs']).toEqual(ARGS);

    // A fresh process, no CNI_ARGS passed: the cached ones are replayed and everything is released.
    const [del] = await lab.driver({ config: { file }, ops: [{ op: 'del', rt }] });
    expect(ok(del)).toBeNull();
    expect(await lab.reservations(network)).toEqual([]);
    expect(await lab.hostVeths()).toEqual([]);
    expect(await readdir(path.join(lab.cacheDir, 'results'))).toEqual([]);
  });
});
