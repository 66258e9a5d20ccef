// One container on two real networks at once (eth0 on one bridge, net1 on another with portmap):
// attachNetworks, detachNetworks from the cache alone, and the undo when one network fails.

import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipJson, links, realPluginSkipReason, type IpLink, type NetnsSandbox } from '../helpers/netns.js';
import { bridgePlugin, conflist, failed, ipv4Of, ok, useSandboxes } from './lab.js';

const skip = realPluginSkipReason(['bridge', 'host-local', 'portmap'], ['iptables']);

describe.skipIf(skip !== undefined)(`real plugins: several networks per container${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const sandbox = useSandboxes();

  async function twoNetworks(lab: NetnsSandbox, second: Record<string, unknown> = {}) {
    const a = await lab.writeConfig('10-a.conflist', conflist('it-multi-a', [bridgePlugin(lab, { subnet: '10.199.18.0/24' }, { bridge: 'itbr-a' })]));
    const b = await lab.writeConfig(
      '20-b.conflist',
      conflist('it-multi-b', [
        bridgePlugin(lab, { subnet: '10.199.19.0/24' }, { bridge: 'itbr-b', ...second }),
        { type: 'portmap', capabilities: { portMappings: true } },
      ]),
    );
    return { a: a.file, b: b.file };
  }

  it('attaches eth0 and net1 at once; a fresh process detaches both using only the cache', async () => {
    const lab = await sandbox();
    const ctr = await lab.addContainer();
    const files = await twoNetworks(lab);
    const container = { containerId: 'ctr-multi-1', netns: ctr.netns };
    const portMappings = [{ hostPort: 18100, containerPort: 80, protocol: 'tcp' }];

    const [attach] = await lab.driver({
      ops: [
        {
          op: 'attach',
          container,
          networks: [
            { file: files.a, ifName: 'eth0' },
            { file: files.b, ifName: 'net1', capabilityArgs: { portMappings } },
          ],
        },
      ],
    });
    const attached = ok(attach, 'attach two networks') as { network: string; ifName: string; result: { ips: { address: string }[] } }[];
    expect(attached.map(({ network, ifName, result }) => [network, ifName, result.ips[0]!.address])).toEqual([
      ['it-multi-a', 'eth0', '10.199.18.2/24'],
      ['it-multi-b', 'net1', '10.199.19.2/24'],
    ]);
    const addrs = await ipJson<IpLink[]>('-n', ctr.name, 'addr', 'show');
    expect(ipv4Of(addrs.find((link) => link.ifname === 'eth0'))).toEqual(['10.199.18.2/24']);
    expect(ipv4Of(addrs.find((link) => link.ifname === 'net1'))).toEqual(['10.199.19.2/24']);
    expect((await lab.hostVeths()).map((link) => link.master).sort()).toEqual(['itbr-a', 'itbr-b']);
    expect(await lab.iptables('nat')).toContain('--dport 18100 -j DNAT --to-destination 10.199.19.2:80');
    expect(await readdir(path.join(lab.cacheDir, 'results'))).toEqual(['it-multi-a-ctr-multi-1-eth0', 'it-multi-b-ctr-multi-1-net1']);

    const [detach] = await lab.driver({ ops: [{ op: 'detach', container }] });
    expect(ok(detach, 'detach two networks from the cache')).toBeNull();
    expect(await lab.reservations('it-multi-a')).toEqual([]);
    expect(await lab.reservations('it-multi-b')).toEqual([]);
    expect(await lab.hostVeths()).toEqual([]);
    expect((await links(ctr.name)).map((link) => link.ifname)).toEqual(['lo']);
    expect(await lab.iptables('nat')).not.toMatch(/^-N CNI-DN-/m);
    expect(await readdir(path.join(lab.cacheDir, 'results'))).toEqual([]);
  });

  it.each([false, true])('when the second network fails, the first is detached again and nothing is left (parallel: %s)', async (parallel) => {
    const lab = await sandbox();
    const ctr = await lab.addContainer();
    const files = await twoNetworks(lab, { mtu: 'big' });
    const container = { containerId: 'ctr-multi-2', netns: ctr.netns };

    const [attach] = await lab.driver({
      ops: [
        {
          op: 'attach',
          container,
          call: { parallel },
          networks: [
            { file: files.a, ifName: 'eth0' },
            { file: files.b, ifName: 'net1' },
          ],
        },
      ],
    });
    const error = failed(attach);
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN', cniCode: 999, plugin: 'bridge', network: 'it-multi-b' });
    expect(error.message).toContain('(detached the networks that had succeeded: it-multi-a/eth0)');
    expect(await lab.reservations('it-multi-a')).toEqual([]);
    expect(await lab.reservations('it-multi-b')).toEqual([]);
    expect(await lab.hostVeths()).toEqual([]);
    expect((await links(ctr.name)).map((link) => link.ifname)).toEqual(['lo']);
    expect(await readdir(path.join(lab.cacheDir, 'results'))).toEqual([]);
  });
});
