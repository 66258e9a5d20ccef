// firewall chained after bridge through libcni (iptables backend): per-container rules in
// CNI-FORWARD on ADD, verified by CHECK, removed on DEL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, requireEnvironment } from './lab.js';

let lab: Lab;

beforeAll(async () => {
  requireEnvironment({ plugins: ['bridge', 'host-local', 'firewall'], tools: ['iptables', 'busybox'] });
  lab = await Lab.create('fw');
});

afterAll(async () => {
  await lab?.dispose();
});

describe.each([
  ['1.0.0', '10.246.0'],
  ['0.4.0', '10.246.1'],
])('firewall (cniVersion %s)', (cniVersion, subnet) => {
  it('adds forward rules for the container address, checks them and removes them', async () => {
    const ctr = await lab.netns(`ctr${cniVersion.replaceAll('.', '')}`);
    const ipamDir = `${lab.dir}/ipam`;
    const bridge = `cnifw${cniVersion.replaceAll('.', '')}`;
    const file = await lab.writeConf(`firewall-${cniVersion}.conflist`, {
      cniVersion,
      name: `fwnet${cniVersion.replaceAll('.', '')}`,
      plugins: [
        { type: 'bridge', bridge, isGateway: true, ipam: { type: 'host-local', subnet: `${subnet}.0/24`, dataDir: ipamDir } },
        { type: 'firewall', backend: 'iptables' },
      ],
    });
    const rt = { containerId: `ctr-fw-${cniVersion}`, netns: lab.path(ctr), ifName: 'eth0' };
    const result = await lab.add(file, rt);
    const address = result.ips![0]!.address.split('/')[0]!;
    const rules = (await lab.iptables(lab.host, 'filter')).filter((line) => line.includes(`${address}/32`));
    expect(rules).toEqual(expect.arrayContaining([expect.stringMatching(/^-A CNI-FORWARD -s /), expect.stringMatching(/^-A CNI-FORWARD -d .*ESTABLISHED/)]));
    expect(await lab.ping(ctr, `${subnet}.1`)).toBe(true);

    await lab.check(file, rt);
    await lab.del(file, rt);
    expect((await lab.iptables(lab.host, 'filter')).filter((line) => line.includes(`${address}/32`))).toEqual([]);
    expect(await lab.cachedResults(rt.containerId)).toEqual([]);
  });
});
