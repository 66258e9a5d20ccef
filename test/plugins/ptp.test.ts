// ptp + host-local through libcni: a veth pair with a /32-style point-to-point route.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, requireEnvironment } from './lab.js';

let lab: Lab;

beforeAll(async () => {
  requireEnvironment({ plugins: ['ptp', 'host-local'], tools: ['busybox'] });
  lab = await Lab.create('ptp');
});

afterAll(async () => {
  await lab?.dispose();
});

describe('ptp', () => {
  it('connects the container to the host namespace over a veth pair and removes it on DEL', async () => {
    const ctr = await lab.netns('ctr');
    const ipamDir = `${lab.dir}/ipam`;
    const file = await lab.writeConf('ptp.conflist', {
      cniVersion: '1.0.0',
      name: 'ptpnet',
      plugins: [
        {
          type: 'ptp',
          ipMasq: false,
          ipam: { type: 'host-local', subnet: '10.242.0.0/24', gateway: '10.242.0.1', routes: [{ dst: '0.0.0.0/0' }], dataDir: ipamDir },
        },
      ],
    });
    const rt = { containerId: 'ctr-ptp', netns: lab.path(ctr), ifName: 'eth0' };
    const result = await lab.add(file, rt);
    const address = result.ips?.[0]?.address;
    expect(address).toMatch(/^10\.242\.0\.\d+\/24$/);
    const hostSide = result.interfaces?.find((entry) => !entry.sandbox)?.name;
    expect(hostSide).toBeDefined();

    expect(await lab.addresses(ctr, 'eth0')).toEqual([address]);
    // The host end carries the gateway address; the host routes the container's /32 over it.
    expect(await lab.addresses(lab.host, hostSide!)).toEqual(['10.242.0.1/32']);
    expect(await lab.in(lab.host, 'ip', ['route', 'show', 'dev', hostSide!])).toContain(address!.split('/')[0]);
    expect(await lab.ping(ctr, '10.242.0.1')).toBe(true);
    expect(await lab.ping(lab.host, address!.split('/')[0]!)).toBe(true);

    await lab.check(file, rt);
    await lab.del(file, rt);
    expect((await lab.links(lab.host)).map((link) => link.ifname)).toEqual(['lo']);
    expect(await lab.reservations(ipamDir)).toEqual([]);
    expect(await lab.cachedResults()).toEqual([]);
  });
});
