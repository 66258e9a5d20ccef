// DEL with the real bridge + host-local plugins in the situations a runtime meets: a fresh process
// that only has the cache, DEL repeated, the container namespace already gone, no netns at all.

import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { links, realPluginSkipReason, type NetnsSandbox } from '../helpers/netns.js';
import { bridgePlugin, conflist, eventually, ok, useSandboxes } from './lab.js';

const skip = realPluginSkipReason(['bridge', 'host-local']);

describe.skipIf(skip !== undefined)(`real plugins: DEL${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const sandbox = useSandboxes();

  /** One container attached to a fresh network; returns what the DEL tests need. */
  async function attached(lab: NetnsSandbox, network: string, subnet: string, address: string) {
    const ctr = await lab.addContainer();
    const { file } = await lab.writeConfig(`10-${network}.conflist`, conflist(network, [bridgePlugin(lab, { subnet })]));
    const rt = { containerId: `ctr-${network}`, netns: ctr.netns, ifName: 'eth0' };
    const [add] = await lab.driver({ config: { file }, ops: [{ op: 'add', rt }] });
    expect((ok(add) as { ips: { address: string }[] }).ips[0]!.address).toBe(`${address}/24`);
    expect(await lab.reservations(network)).toEqual([address]);
    expect(await lab.hostVeths()).toHaveLength(1);
    return { ctr, file, rt };
  }

  async function cacheEntries(lab: NetnsSandbox): Promise<string[]> {
    return readdir(path.join(lab.cacheDir, 'results'));
  }

  it('a second process with a fresh CNI instance and only the cache (config file gone) releases everything', async () => {
    const lab = await sandbox();
    const network = 'it-del-cache';
    const { file, rt } = await attached(lab, network, '10.199.6.0/24', '10.199.6.2');
    await rm(file);

    const [del] = await lab.driver({ config: { cachedContainerId: rt.containerId }, ops: [{ op: 'del', rt }] });
    expect(ok(del, 'DEL from cache only')).toBeNull();
    expect(await lab.reservations(network)).toEqual([]);
    expect(await lab.hostVeths()).toEqual([]);
    expect(await cacheEntries(lab)).toEqual([]);
  });

  it('DEL twice succeeds both times', async () => {
    const lab = await sandbox();
    const network = 'it-del-twice';
    const { file, rt } = await attached(lab, network, '10.199.7.0/24', '10.199.7.2');

    const [first] = await lab.driver({ config: { file }, ops: [{ op: 'del', rt }] });
    expect(ok(first)).toBeNull();
    expect(await lab.reservations(network)).toEqual([]);
    expect(await cacheEntries(lab)).toEqual([]);
    // The second DEL has no cache entry, no reservation and no interface to find.
    const [second] = await lab.driver({ config: { file }, ops: [{ op: 'del', rt }] });
    expect(ok(second, 'DEL of nothing')).toBeNull();
    expect(await lab.reservations(network)).toEqual([]);
    expect(await lab.hostVeths()).toEqual([]);
    expect(await cacheEntries(lab)).toEqual([]);
  });

  it('DEL after the container namespace was deleted succeeds and releases the address', async () => {
    const lab = await sandbox();
    const network = 'it-del-gone';
    const { ctr, file, rt } = await attached(lab, network, '10.199.8.0/24', '10.199.8.2');
    await lab.deleteNamespace(ctr.name);
    // The kernel destroys the veth pair with the namespace (asynchronously); the address stays reserved.
    expect(await eventually(async () => (await lab.hostVeths()).length === 0)).toBe(true);
    expect(await lab.reservations(network)).toEqual(['10.199.8.2']);

    const [del] = await lab.driver({ config: { file }, ops: [{ op: 'del', rt }] });
    expect(ok(del)).toBeNull();
    expect(await lab.reservations(network)).toEqual([]);
    expect(await cacheEntries(lab)).toEqual([]);
  });

  it("DEL with netns '' succeeds and releases the address", async () => {
    const lab = await sandbox();
    const network = 'it-del-nons';
    const { ctr, file, rt } = await attached(lab, network, '10.199.10.0/24', '10.199.10.2');

    const [del] = await lab.driver({ config: { file }, ops: [{ op: 'del', rt: { ...rt, netns: '' } }] });
    expect(ok(del)).toBeNull();
    expect(await lab.reservations(network)).toEqual([]);
    expect(await cacheEntries(lab)).toEqual([]);
    // Without a netns the bridge plugin cannot reach the container's interface: the veth pair stays
    // until the namespace goes (the sandbox deletes it).
    expect((await links(ctr.name)).map((link) => link.ifname)).toEqual(['lo', 'eth0']);
    expect(await lab.hostVeths()).toHaveLength(1);
  });
});
