// host-device through libcni: moves a veth the test created from the host namespace into the
// container (renamed to CNI_IFNAME), and back on DEL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, requireEnvironment, sh } from './lab.js';

let lab: Lab;

beforeAll(async () => {
  requireEnvironment({ plugins: ['host-device', 'static'], tools: ['busybox'] });
  lab = await Lab.create('hd');
});

afterAll(async () => {
  await lab?.dispose();
});

describe('host-device', () => {
  it('moves the device into the container and returns it on DEL', async () => {
    const far = await lab.netns('far');
    const ctr = await lab.netns('ctr');
    await sh('ip', ['-n', lab.host, 'link', 'add', 'hostdev0', 'type', 'veth', 'peer', 'name', 'far0', 'netns', far]);
    await sh('ip', ['-n', far, 'addr', 'add', '10.244.0.1/24', 'dev', 'far0']);
    await sh('ip', ['-n', far, 'link', 'set', 'far0', 'up']);
    const file = await lab.writeConf('hostdev.conflist', {
      cniVersion: '1.0.0',
      name: 'hdnet',
      plugins: [{ type: 'host-device', device: 'hostdev0', ipam: { type: 'static', addresses: [{ address: '10.244.0.2/24' }] } }],
    });
    const rt = { containerId: 'ctr-hd', netns: lab.path(ctr), ifName: 'net9' };
    const result = await lab.add(file, rt);
    expect(result.interfaces).toEqual([expect.objectContaining({ name: 'net9', sandbox: lab.path(ctr) })]);
    expect((await lab.links(lab.host)).map((link) => link.ifname)).toEqual(['lo']);
    expect(await lab.addresses(ctr, 'net9')).toEqual(['10.244.0.2/24']);
    expect(await lab.ping(ctr, '10.244.0.1')).toBe(true);

    await lab.check(file, rt);
    await lab.del(file, rt);
    expect(await lab.links(ctr, 'net9').catch((error: Error) => error.message)).toMatch(/does not exist/);
    expect((await lab.links(lab.host)).map((link) => link.ifname).sort()).toEqual(['hostdev0', 'lo']);
    expect(await lab.cachedResults()).toEqual([]);
  });
});
