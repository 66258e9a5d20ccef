// tuning chained after bridge through libcni: MTU, MAC, promiscuous mode and a sysctl inside the
// container, checked by CHECK, with its backup files kept in a directory the test owns.
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, requireEnvironment } from './lab.js';

let lab: Lab;

beforeAll(async () => {
  requireEnvironment({ plugins: ['bridge', 'host-local', 'tuning'] });
  lab = await Lab.create('tu');
});

afterAll(async () => {
  await lab?.dispose();
});

describe('tuning', () => {
  it('tunes the container interface, passes CHECK and removes its backup on DEL', async () => {
    const ctr = await lab.netns('ctr');
    const ipamDir = `${lab.dir}/ipam`;
    const tuningDir = `${lab.dir}/tuning`;
    const file = await lab.writeConf('tuning.conflist', {
      cniVersion: '1.0.0',
      name: 'tunenet',
      plugins: [
        { type: 'bridge', bridge: 'cnitune0', ipam: { type: 'host-local', subnet: '10.248.0.0/24', dataDir: ipamDir } },
        {
          type: 'tuning',
          mtu: 1280,
          mac: 'c2:11:22:33:44:55',
          promisc: true,
          sysctl: { 'net.ipv4.conf.eth0.arp_filter': '1' },
          dataDir: tuningDir,
        },
      ],
    });
    const rt = { containerId: 'ctr-tune', netns: lab.path(ctr), ifName: 'eth0' };
    const result = await lab.add(file, rt);
    expect(result.interfaces?.find((entry) => entry.sandbox)?.mac).toBe('c2:11:22:33:44:55');
    const [eth0] = await lab.links(ctr, 'eth0');
    expect(eth0).toEqual(expect.objectContaining({ mtu: 1280, address: 'c2:11:22:33:44:55' }));
    expect(eth0?.flags).toContain('PROMISC');
    expect((await lab.in(ctr, 'cat', ['/proc/sys/net/ipv4/conf/eth0/arp_filter'])).trim()).toBe('1');
    expect(await readdir(tuningDir)).toHaveLength(1);

    await lab.check(file, rt);
    await lab.del(file, rt);
    expect(await readdir(tuningDir)).toEqual([]);
    expect(await lab.reservations(ipamDir)).toEqual([]);
    expect(await lab.cachedResults()).toEqual([]);
  });
});
