// vlan, ipvlan and vrf need kernel drivers this kernel lacks: ADD fails with "operation not
// supported". libcni must report that as the plugin's own error (ERR_CNI_PLUGIN with the CNI code
// and message, naming the plugin), roll the attachment back, and leave nothing behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, requireEnvironment, sh } from './lab.js';

let lab: Lab;
let ipamDir: string;

beforeAll(async () => {
  requireEnvironment({ plugins: ['vlan', 'ipvlan', 'vrf', 'bridge', 'host-local'] });
  lab = await Lab.create('uns');
  ipamDir = `${lab.dir}/ipam`;
  await sh('ip', ['-n', lab.host, 'link', 'add', 'master0', 'type', 'veth', 'peer', 'name', 'master0p']);
  await sh('ip', ['-n', lab.host, 'link', 'set', 'master0', 'up']);
});

afterAll(async () => {
  await lab?.dispose();
});

const hostLocal = (subnet: string) => ({ type: 'host-local', subnet, dataDir: ipamDir });

const cases = [
  { plugin: 'vlan', plugins: [{ type: 'vlan', master: 'master0', vlanId: 100, ipam: hostLocal('10.250.0.0/24') }], keep: [] as string[] },
  { plugin: 'ipvlan', plugins: [{ type: 'ipvlan', master: 'master0', mode: 'l2', ipam: hostLocal('10.250.1.0/24') }], keep: [] as string[] },
  {
    plugin: 'vrf',
    plugins: [{ type: 'bridge', bridge: 'cnivrf0', ipam: hostLocal('10.250.2.0/24') }, { type: 'vrf', vrfname: 'blue' }],
    keep: ['cnivrf0'],
  },
];

describe.each(cases)('$plugin', ({ plugin, plugins, keep }) => {
  it('fails with the plugin named and its message and code carried, and rolls back', async () => {
    const ctr = await lab.netns(`ctr-${plugin}`);
    const file = await lab.writeConf(`${plugin}.conflist`, { cniVersion: '1.0.0', name: `${plugin}net`, plugins });
    const rt = { containerId: `ctr-${plugin}`, netns: lab.path(ctr), ifName: 'eth0' };
    const error = await lab.failure({ op: 'add', file, rt });
    expect(error).toEqual(
      expect.objectContaining({ name: 'PluginReportedError', code: 'ERR_CNI_PLUGIN', plugin, network: `${plugin}net`, command: 'ADD', cniCode: expect.any(Number) }),
    );
    expect(error.msg).toMatch(/operation not supported/);
    expect(error.message).toContain(`type="${plugin}"`);
    expect(error.message).toMatch(/operation not supported/);
    expect(error.rollback).toEqual({ ok: true });

    expect((await lab.links(ctr)).map((link) => link.ifname)).toEqual(['lo']);
    const hostLinks = (await lab.links(lab.host)).map((link) => link.ifname).sort();
    expect(hostLinks).toEqual(['lo', 'master0', 'master0p', ...keep].sort());
    expect(await lab.reservations(ipamDir)).toEqual([]);
    expect(await lab.cachedResults(rt.containerId)).toEqual([]);
  });
});
