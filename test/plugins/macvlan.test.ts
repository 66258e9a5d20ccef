// macvlan through libcni: the master is a veth the test creates in the host namespace; its peer
// sits in a "lan" namespace, which the container then reaches through the macvlan.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, requireEnvironment, sh } from './lab.js';

let lab: Lab;

beforeAll(async () => {
  requireEnvironment({ plugins: ['macvlan', 'host-local'], tools: ['busybox'] });
  lab = await Lab.create('mv');
});

afterAll(async () => {
  await lab?.dispose();
});

describe('macvlan', () => {
  it('attaches a macvlan on a veth master that reaches the LAN, and removes it on DEL', async () => {
    const lan = await lab.netns('lan');
    const ctr = await lab.netns('ctr');
    await sh('ip', ['-n', lab.host, 'link', 'add', 'mvmaster', 'type', 'veth', 'peer', 'name', 'lan0', 'netns', lan]);
    await sh('ip', ['-n', lab.host, 'link', 'set', 'mvmaster', 'up']);
    await sh('ip', ['-n', lan, 'addr', 'add', '10.243.0.1/24', 'dev', 'lan0']);
    await sh('ip', ['-n', lan, 'link', 'set', 'lan0', 'up']);
    const ipamDir = `${lab.dir}/ipam`;
    const file = await lab.writeConf('macvlan.conflist', {
      cniVersion: '1.0.0',
      name: 'mvnet',
      plugins: [
        {
          type: 'macvlan',
          master: 'mvmaster',
          mode: 'bridge',
          ipam: { type: 'host-local', ranges: [[{ subnet: '10.243.0.0/24', rangeStart: '10.243.0.100' }]], dataDir: ipamDir },
        },
      ],
    });
    const rt = { containerId: 'ctr-mv', netns: lab.path(ctr), ifName: 'net1' };
    const result = await lab.add(file, rt);
    expect(result.ips?.[0]?.address).toBe('10.243.0.100/24');
    const [link] = await lab.links(ctr, 'net1');
    expect(link?.linkinfo?.info_kind).toBe('macvlan');
    expect(await lab.addresses(ctr, 'net1')).toEqual(['10.243.0.100/24']);
    expect(await lab.ping(ctr, '10.243.0.1')).toBe(true);

    await lab.check(file, rt);
    await lab.del(file, rt);
    expect(await lab.links(ctr, 'net1').catch((error: Error) => error.message)).toMatch(/does not exist/);
    expect(await lab.reservations(ipamDir)).toEqual([]);
    expect(await lab.cachedResults()).toEqual([]);
  });
});
