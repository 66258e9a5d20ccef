// GC of a 1.0.0 network with the real plugins (none of which speaks 1.1.0, so GC is the cache-based
// part only): every cached attachment not named valid is DEL'd with its cached netns and capability
// args, whether its container namespace still exists or not; valid ones are left alone.

import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { links, realPluginSkipReason } from '../helpers/netns.js';
import { bridgePlugin, conflist, eventually, ok, useSandboxes } from './lab.js';

const skip = realPluginSkipReason(['bridge', 'host-local', 'portmap'], ['iptables']);

describe.skipIf(skip !== undefined)(`real plugins: GC${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const sandbox = useSandboxes();

  it('DELs the stale attachments (namespace alive or gone) with their cached port mappings and keeps the valid one', async () => {
    const lab = await sandbox();
    const network = 'it-gc';
    const { file } = await lab.writeConfig(
      '10-gc.conflist',
      conflist(network, [bridgePlugin(lab, { subnet: '10.199.17.0/24' }), { type: 'portmap', capabilities: { portMappings: true } }]),
    );
    const containers = [];
    for (const [index, name] of ['keep', 'stale', 'gone'].entries()) {
      const ctr = await lab.addContainer();
      const portMappings = [{ hostPort: 18090 + index, containerPort: 80, protocol: 'tcp' }];
      containers.push({ ...ctr, rt: { containerId: `ctr-gc-${name}`, netns: ctr.netns, ifName: 'eth0', capabilityArgs: { portMappings } } });
    }
    const [keep, stale, gone] = [containers[0]!, containers[1]!, containers[2]!];
    const adds = await lab.driver({ config: { file }, ops: containers.map(({ rt }) => ({ op: 'add' as const, rt })) });
    adds.forEach((op) => ok(op));
    expect(await lab.reservations(network)).toEqual(['10.199.17.2', '10.199.17.3', '10.199.17.4']);
    const nat = await lab.iptables('nat');
    for (const port of ['18090', '18091', '18092']) expect(nat).toContain(`--dport ${port} -j DNAT`);

    await lab.deleteNamespace(gone.name);
    expect(await eventually(async () => (await lab.hostVeths()).length === 2)).toBe(true);

    // A fresh process that only knows which attachments are still valid.
    const [gc] = await lab.driver({ config: { file }, ops: [{ op: 'gc', valid: [{ containerId: keep.rt.containerId, ifName: 'eth0' }] }] });
    expect(ok(gc, 'GC of two stale attachments')).toBeNull();

    expect(await lab.reservations(network)).toEqual(['10.199.17.2']);
    expect(await readdir(path.join(lab.cacheDir, 'results'))).toEqual([`${network}-ctr-gc-keep-eth0`]);
    const natAfter = await lab.iptables('nat');
    expect(natAfter).toContain('--dport 18090 -j DNAT --to-destination 10.199.17.2:80');
    expect(natAfter).not.toContain('18091');
    expect(natAfter).not.toContain('18092');
    expect((await links(stale.name)).map((link) => link.ifname)).toEqual(['lo']);
    expect((await links(keep.name)).map((link) => link.ifname)).toEqual(['lo', 'eth0']);
    expect(await lab.hostVeths()).toHaveLength(1);
  });
});
