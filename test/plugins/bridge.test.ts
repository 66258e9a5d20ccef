// bridge + host-local through libcni, on the real plugins, in namespaces the test creates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, requireEnvironment, type Result } from './lab.js';

let lab: Lab;
let file: string;
let ipamDir: string;

beforeAll(async () => {
  requireEnvironment({ plugins: ['bridge', 'host-local'], tools: ['busybox'] });
  lab = await Lab.create('br');
  ipamDir = `${lab.dir}/ipam`;
  file = await lab.writeConf('bridge.conflist', {
    cniVersion: '1.0.0',
    name: 'brnet',
    plugins: [
      {
        type: 'bridge',
        bridge: 'cnitest0',
        isGateway: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: '10.240.0.0/24', rangeStart: '10.240.0.10', rangeEnd: '10.240.0.20' }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: ipamDir,
        },
      },
    ],
  });
});

afterAll(async () => {
  await lab?.dispose();
});

describe('bridge + host-local', () => {
  it('attaches two containers that reach each other and the gateway, checks and detaches them', async () => {
    const one = await lab.netns('one');
    const two = await lab.netns('two');
    const rtOne = { containerId: 'ctr-one', netns: lab.path(one), ifName: 'eth0' };
    const rtTwo = { containerId: 'ctr-two', netns: lab.path(two), ifName: 'eth0' };

    const first: Result = await lab.add(file, rtOne);
    const second: Result = await lab.add(file, rtTwo);
    expect(first.cniVersion).toBe('1.0.0');
    expect(first.ips).toEqual([expect.objectContaining({ address: '10.240.0.10/24', gateway: '10.240.0.1' })]);
    expect(second.ips?.[0]?.address).toBe('10.240.0.11/24');
    const sandbox = first.interfaces?.find((entry) => entry.sandbox);
    expect(sandbox).toEqual(expect.objectContaining({ name: 'eth0', sandbox: lab.path(one) }));

    // Inside the containers: the address, the default route, traffic.
    expect(await lab.addresses(one, 'eth0')).toEqual(['10.240.0.10/24']);
    expect(await lab.in(one, 'ip', ['route', 'show', 'default'])).toContain('via 10.240.0.1');
    expect(await lab.ping(one, '10.240.0.1')).toBe(true);
    expect(await lab.ping(one, '10.240.0.11')).toBe(true);
    expect(await lab.ping(two, '10.240.0.10')).toBe(true);

    // On the host side: the bridge with the gateway address and two veths on it.
    expect(await lab.addresses(lab.host, 'cnitest0')).toEqual(['10.240.0.1/24']);
    const ports = (await lab.links(lab.host)).filter((link) => link.master === 'cnitest0');
    expect(ports).toHaveLength(2);

    await lab.check(file, rtOne);
    await lab.check(file, rtTwo);
    const [cached] = await lab.cni([{ op: 'cached', file, rt: rtOne }]);
    expect(cached).toEqual(expect.objectContaining({ ok: true, value: first }));
    expect(await lab.reservations(ipamDir)).toEqual(['brnet/10.240.0.10', 'brnet/10.240.0.11']);

    await lab.del(file, rtOne);
    expect(await lab.links(one, 'eth0').catch((error: Error) => error.message)).toMatch(/does not exist/);
    expect(await lab.reservations(ipamDir)).toEqual(['brnet/10.240.0.11']);
    await lab.del(file, rtOne); // a second DEL is not an error

    // DEL with the container's namespace already gone still releases the address.
    await lab.delNetns(two);
    await lab.del(file, rtTwo);

    expect(await lab.reservations(ipamDir)).toEqual([]);
    expect(await lab.cachedResults()).toEqual([]);
    expect((await lab.links(lab.host)).map((link) => link.ifname).sort()).toEqual(['cnitest0', 'lo']);
    const failedCheck = await lab.failure({ op: 'check', file, rt: rtOne });
    expect(failedCheck.code).toBe('ERR_CNI_CACHE');
  });
});
