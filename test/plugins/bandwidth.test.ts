// bandwidth chained after bridge through libcni: tbf qdiscs on the host veth and an ifb device for
// the container's egress. CHECK and DEL get the capability args of ADD from the cache (bandwidth
// 1.1.1 crashes on a CHECK without them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, requireEnvironment, sh } from './lab.js';

let lab: Lab;

beforeAll(async () => {
  requireEnvironment({ plugins: ['bridge', 'host-local', 'bandwidth'], tools: ['tc'] });
  lab = await Lab.create('bw');
});

afterAll(async () => {
  await lab?.dispose();
});

describe('bandwidth', () => {
  it('shapes both directions, passes CHECK without being given the limits again, and cleans up', async () => {
    const ctr = await lab.netns('ctr');
    const ipamDir = `${lab.dir}/ipam`;
    const file = await lab.writeConf('bandwidth.conflist', {
      cniVersion: '1.0.0',
      name: 'bwnet',
      plugins: [
        { type: 'bridge', bridge: 'cnibw0', ipam: { type: 'host-local', subnet: '10.249.0.0/24', dataDir: ipamDir } },
        { type: 'bandwidth', capabilities: { bandwidth: true } },
      ],
    });
    const bandwidth = { ingressRate: 8_000_000, ingressBurst: 80_000, egressRate: 4_000_000, egressBurst: 40_000 };
    const rt = { containerId: 'ctr-bw', netns: lab.path(ctr), ifName: 'eth0', capabilityArgs: { bandwidth } };
    const result = await lab.add(file, rt);
    const hostVeth = result.interfaces?.find((entry) => !entry.sandbox && entry.name.startsWith('veth'))?.name;
    const ifb = result.interfaces?.find((entry) => entry.name.startsWith('bwp'))?.name;
    expect(hostVeth).toBeDefined();
    expect(ifb).toBeDefined();
    expect(await sh('tc', ['-n', lab.host, 'qdisc', 'show', 'dev', hostVeth!])).toContain('tbf');
    expect(await sh('tc', ['-n', lab.host, 'qdisc', 'show', 'dev', ifb!])).toContain('tbf');

    await lab.check(file, { containerId: rt.containerId, netns: rt.netns, ifName: 'eth0' });
    await lab.del(file, { containerId: rt.containerId, netns: rt.netns, ifName: 'eth0' });
    expect((await lab.links(lab.host)).map((link) => link.ifname).sort()).toEqual(['cnibw0', 'lo']);
    expect(await lab.reservations(ipamDir)).toEqual([]);
    expect(await lab.cachedResults()).toEqual([]);
  });
});
