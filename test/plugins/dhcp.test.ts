// dhcp IPAM (under macvlan) through libcni: the plugin's own daemon (`dhcp daemon`, on a socket in
// the test's directory) runs in the host namespace, and dnsmasq serves addresses from a server
// namespace at the other end of the macvlan's master veth. Both daemons are stopped by PID at the
// end. (macvlan, not bridge: bridge 1.1.1 deletes the container's veth before it calls IPAM DEL,
// so the daemon can no longer send the DHCPRELEASE.)
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, PLUGIN_DIR, alive, requireEnvironment, sh, waitFor } from './lab.js';

let lab: Lab;
let socket: string;
let leases: string;
const daemons: number[] = [];

beforeAll(async () => {
  requireEnvironment({ plugins: ['macvlan', 'dhcp'], tools: ['dnsmasq', 'busybox'] });
  lab = await Lab.create('dhcp');
  socket = path.join(lab.dir, 'dhcp.sock');
  leases = path.join(lab.dir, 'dnsmasq.leases');

  // host: veth dhcpmaster (the macvlan master) <-> srv: dhcpsrv0 10.251.0.1/24 with dnsmasq on it.
  const srv = await lab.netns('srv');
  await sh('ip', ['-n', lab.host, 'link', 'add', 'dhcpmaster', 'type', 'veth', 'peer', 'name', 'dhcpsrv0', 'netns', srv]);
  await sh('ip', ['-n', lab.host, 'link', 'set', 'dhcpmaster', 'up']);
  await sh('ip', ['-n', srv, 'addr', 'add', '10.251.0.1/24', 'dev', 'dhcpsrv0']);
  await sh('ip', ['-n', srv, 'link', 'set', 'dhcpsrv0', 'up']);
  // prettier-ignore
  daemons.push(await lab.daemon(srv, 'dnsmasq', [
    '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--port=0', '--user=root',
    '--interface=dhcpsrv0', '--bind-interfaces', '--dhcp-authoritative', '--log-dhcp', '--log-facility=-',
    '--dhcp-range=10.251.0.50,10.251.0.99,255.255.255.0,10m', '--dhcp-option=option:router,10.251.0.1',
    `--dhcp-leasefile=${leases}`, `--pid-file=${path.join(lab.dir, 'dnsmasq.pid')}`,
  ], 'dnsmasq.log'));
  daemons.push(await lab.daemon(lab.host, path.join(PLUGIN_DIR, 'dhcp'), ['daemon', '-socketpath', socket], 'dhcp-daemon.log'));
  await waitFor('the dhcp daemon socket', async () => (existsSync(socket) ? true : undefined));
  for (const pid of daemons) expect(alive(pid), `daemon ${pid} died; see the logs in ${lab.dir}`).toBe(true);
});

afterAll(async () => {
  await lab?.dispose(); // stops dnsmasq and the dhcp daemon by PID
  for (const pid of daemons) expect(alive(pid)).toBe(false);
});

/** Both daemons' logs, for failure messages. */
async function logs(): Promise<string> {
  const read = (name: string) => readFile(path.join(lab.dir, name), 'utf8').catch(() => '(none)');
  return `dnsmasq log:\n${await read('dnsmasq.log')}\ndhcp daemon log:\n${await read('dhcp-daemon.log')}`;
}

describe('dhcp', () => {
  it('leases an address from dnsmasq on ADD, passes CHECK and releases it on DEL', { timeout: 90_000 }, async () => {
    const ctr = await lab.netns('ctr');
    const file = await lab.writeConf('dhcp.conflist', {
      cniVersion: '1.0.0',
      name: 'dhcpnet',
      plugins: [{ type: 'macvlan', master: 'dhcpmaster', mode: 'bridge', ipam: { type: 'dhcp', daemonSocketPath: socket } }],
    });
    const rt = { containerId: 'ctr-dhcp', netns: lab.path(ctr), ifName: 'eth0' };
    const result = await lab.add(file, rt);
    const address = result.ips?.[0]?.address;
    expect(address).toMatch(/^10\.251\.0\.(5\d|[6-9]\d)\/24$/);
    expect(result.ips?.[0]?.gateway).toBe('10.251.0.1');
    expect(await lab.addresses(ctr, 'eth0')).toEqual([address]);
    expect(await lab.ping(ctr, '10.251.0.1')).toBe(true);
    const mac = result.interfaces?.find((entry) => entry.sandbox)?.mac;
    expect(await readFile(leases, 'utf8')).toContain(mac);

    await lab.check(file, rt);
    await lab.del(file, rt);
    // The daemon sends DHCPRELEASE; dnsmasq drops the lease.
    await waitFor('dnsmasq to drop the lease', async () => ((await readFile(leases, 'utf8')).includes(mac!) ? undefined : true), 5_000).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await logs()}`);
    });
    expect(await lab.links(ctr, 'eth0').catch((error: Error) => error.message)).toMatch(/does not exist/);
    expect(await lab.cachedResults()).toEqual([]);
  });
});
