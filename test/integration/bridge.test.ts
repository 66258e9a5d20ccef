// The real bridge + host-local plugins driven by the library: ADD, CHECK, the cache file, DEL,
// single-plugin .conf files and concurrent ADDs. Every test runs in its own throwaway namespaces.

import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ip, ipJson, links, realPluginSkipReason, type IpLink } from '../helpers/netns.js';
import { MAC, bridgePlugin, conflist, failed, ipv4Of, ok, useSandboxes } from './lab.js';

const skip = realPluginSkipReason(['bridge', 'host-local']);

describe.skipIf(skip !== undefined)(`real plugins: bridge + host-local${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const sandbox = useSandboxes();

  it('ADD gives the expected 1.0.0 result, CHECK passes, the cache file has the Go layout, DEL undoes everything', async () => {
    const lab = await sandbox();
    const ctr = await lab.addContainer();
    const network = 'it-bridge';
    const { file, bytes } = await lab.writeConfig('10-bridge.conflist', conflist(network, [bridgePlugin(lab, { subnet: '10.199.1.0/24' })]));
    const rt = { containerId: 'ctr-bridge-1', netns: ctr.netns, ifName: 'eth0' };

    const [add, check, cached] = await lab.driver({
      config: { file },
      ops: [
        { op: 'add', rt },
        { op: 'check', rt },
        { op: 'cached', rt },
      ],
    });
    const result = ok(add, 'bridge+host-local ADD') as { interfaces: { name: string; mac: string }[] };
    expect(result).toEqual({
      cniVersion: '1.0.0',
      interfaces: [
        { name: lab.bridge, mac: expect.stringMatching(MAC) },
        { name: expect.stringMatching(/^veth[0-9a-f]{8}$/), mac: expect.stringMatching(MAC) },
        { name: 'eth0', mac: expect.stringMatching(MAC), sandbox: ctr.netns },
      ],
      ips: [{ address: '10.199.1.2/24', gateway: '10.199.1.1', interface: 2 }],
      routes: [{ dst: '0.0.0.0/0' }],
      dns: {},
    });
    expect(ok(check, 'bridge+host-local CHECK')).toBeNull();
    expect(ok(cached)).toEqual(result);

    // What the plugins did, seen from the namespaces.
    const [eth0] = await ipJson<IpLink[]>('-n', ctr.name, 'addr', 'show', 'eth0');
    expect(ipv4Of(eth0)).toEqual(['10.199.1.2/24']);
    expect(eth0?.address).toBe(result.interfaces[2]!.mac);
    const routes = await ipJson<{ dst: string; gateway?: string; dev: string }[]>('-n', ctr.name, 'route', 'show');
    expect(routes).toContainEqual(expect.objectContaining({ dst: 'default', gateway: '10.199.1.1', dev: 'eth0' }));
    const [bridge] = await ipJson<IpLink[]>('-n', lab.host, 'addr', 'show', lab.bridge);
    expect(ipv4Of(bridge)).toEqual(['10.199.1.1/24']);
    const veths = await lab.hostVeths();
    expect(veths.map((link) => [link.ifname, link.master])).toEqual([[result.interfaces[1]!.name, lab.bridge]]);
    expect(await lab.reservations(network)).toEqual(['10.199.1.2']);
    // host-local's reservation file: the container ID and the interface, joined with CRLF.
    expect(await readFile(path.join(lab.ipamDir, network, '10.199.1.2'), 'utf8')).toBe('ctr-bridge-1\r\neth0');

    // The cache file: Go's field order, compact JSON, mode 0600, config = the file's exact bytes.
    const cacheFile = lab.cacheFile(network, rt.containerId);
    const text = await readFile(cacheFile, 'utf8');
    const entry = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(entry)).toEqual(['kind', 'containerId', 'config', 'ifName', 'networkName', 'netns', 'result']);
    expect(entry).toEqual({
      kind: 'cniCacheV1',
      containerId: 'ctr-bridge-1',
      config: bytes.toString('base64'),
      ifName: 'eth0',
      networkName: network,
      netns: ctr.netns,
      result,
    });
    expect(text).toBe(JSON.stringify(entry));
    expect((await stat(cacheFile)).mode & 0o777).toBe(0o600);

    const [del] = await lab.driver({ config: { file }, ops: [{ op: 'del', rt }] });
    expect(ok(del, 'bridge+host-local DEL')).toBeNull();
    await expect(stat(cacheFile)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await lab.reservations(network)).toEqual([]);
    expect(await lab.hostVeths()).toEqual([]);
    expect((await links(ctr.name)).map((link) => link.ifname)).toEqual(['lo']);
  });

  it('loads a single-plugin .conf with loadNetworkList, runs ADD/CHECK/DEL and caches its exact bytes', async () => {
    const lab = await sandbox();
    const ctr = await lab.addContainer();
    const network = 'it-single';
    // Another network in the directory: .conflist files are searched first and must not match.
    await lab.writeConfig('00-other.conflist', conflist('it-other', [bridgePlugin(lab, { subnet: '10.199.9.0/24' })]));
    const single = { cniVersion: '0.4.0', name: network, ...bridgePlugin(lab, { subnet: '10.199.2.0/24' }) };
    const { bytes } = await lab.writeConfig('20-single.conf', `${JSON.stringify(single, null, '\t')}\n`);
    const rt = { containerId: 'ctr-single-1', netns: ctr.netns, ifName: 'eth0' };
    const config = { dir: lab.confDir, name: network };

    const [add, check] = await lab.driver({
      config,
      ops: [
        { op: 'add', rt },
        { op: 'check', rt },
      ],
    });
    expect(ok(add)).toEqual({
      cniVersion: '0.4.0',
      interfaces: [
        { name: lab.bridge, mac: expect.stringMatching(MAC) },
        { name: expect.stringMatching(/^veth/), mac: expect.stringMatching(MAC) },
        { name: 'eth0', mac: expect.stringMatching(MAC), sandbox: ctr.netns },
      ],
      ips: [{ version: '4', address: '10.199.2.2/24', gateway: '10.199.2.1', interface: 2 }],
      routes: [{ dst: '0.0.0.0/0' }],
      dns: {},
    });
    expect(ok(check)).toBeNull();
    const [eth0] = await ipJson<IpLink[]>('-n', ctr.name, 'addr', 'show', 'eth0');
    expect(ipv4Of(eth0)).toEqual(['10.199.2.2/24']);

    const entry = JSON.parse(await readFile(lab.cacheFile(network, rt.containerId), 'utf8')) as { config: string; networkName: string };
    expect(Buffer.from(entry.config, 'base64').equals(bytes)).toBe(true);
    expect(entry.networkName).toBe(network);

    const [del] = await lab.driver({ config, ops: [{ op: 'del', rt }] });
    expect(ok(del)).toBeNull();
    expect(await lab.reservations(network)).toEqual([]);
    expect(await lab.hostVeths()).toEqual([]);
    expect(await readdir(path.join(lab.cacheDir, 'results'))).toEqual([]);
  });

  it.each([
    ['one process', 1],
    ['four processes', 4],
  ] as const)('four concurrent ADDs onto a bridge that does not exist yet get distinct addresses (%s)', async (_label, processes) => {
    const lab = await sandbox();
    const network = 'it-many';
    const { file } = await lab.writeConfig('10-many.conflist', conflist(network, [bridgePlugin(lab, { subnet: '10.199.3.0/24' })]));
    const containers = await Promise.all([1, 2, 3, 4].map(() => lab.addContainer()));
    const rts = containers.map((ctr, index) => ({ containerId: `ctr-many-${index}`, netns: ctr.netns, ifName: 'eth0' }));
    expect((await links(lab.host)).map((link) => link.ifname)).toEqual(['lo']);

    const run = async (op: 'add' | 'del') => {
      if (processes === 1) return lab.driver({ config: { file }, parallel: true, ops: rts.map((rt) => ({ op, rt })) });
      return (await Promise.all(rts.map((rt) => lab.driver({ config: { file }, ops: [{ op, rt }] })))).flat();
    };

    const adds = await run('add');
    const addresses = adds.map((op) => (ok(op, `concurrent ADD (${processes} process${processes === 1 ? '' : 'es'})`) as { ips: { address: string }[] }).ips[0]!.address);
    expect([...addresses].sort()).toEqual(['10.199.3.2/24', '10.199.3.3/24', '10.199.3.4/24', '10.199.3.5/24']);
    for (const [index, ctr] of containers.entries()) {
      const [eth0] = await ipJson<IpLink[]>('-n', ctr.name, 'addr', 'show', 'eth0');
      expect(ipv4Of(eth0)).toEqual([addresses[index]]);
    }
    expect(await lab.reservations(network)).toEqual(['10.199.3.2', '10.199.3.3', '10.199.3.4', '10.199.3.5']);
    const veths = await lab.hostVeths();
    expect(veths).toHaveLength(4);
    expect(veths.every((link) => link.master === lab.bridge)).toBe(true);

    for (const op of await run('del')) expect(ok(op)).toBeNull();
    expect(await lab.reservations(network)).toEqual([]);
    expect(await lab.hostVeths()).toEqual([]);
    expect(await readdir(path.join(lab.cacheDir, 'results'))).toEqual([]);
  });

  it('CHECK reports drift in the container (address removed, then interface removed) and keeps the cache; DEL still cleans up', async () => {
    const lab = await sandbox();
    const ctr = await lab.addContainer();
    const network = 'it-drift';
    const { file } = await lab.writeConfig('10-drift.conflist', conflist(network, [bridgePlugin(lab, { subnet: '10.199.21.0/24' })]));
    const rt = { containerId: 'ctr-drift-1', netns: ctr.netns, ifName: 'eth0' };
    ok((await lab.driver({ config: { file }, ops: [{ op: 'add', rt }] }))[0]);

    await ip('-n', ctr.name, 'addr', 'flush', 'dev', 'eth0');
    const [noAddress] = await lab.driver({ config: { file }, ops: [{ op: 'check', rt }] });
    expect(failed(noAddress)).toMatchObject({
      code: 'ERR_CNI_PLUGIN',
      cniCode: 999,
      plugin: 'bridge',
      command: 'CHECK',
      msg: 'Failed to match addr 10.199.21.2/24 on interface eth0',
    });
    await ip('-n', ctr.name, 'link', 'del', 'eth0');
    const [noInterface] = await lab.driver({ config: { file }, ops: [{ op: 'check', rt }] });
    expect(failed(noInterface)).toMatchObject({ code: 'ERR_CNI_PLUGIN', cniCode: 999, plugin: 'bridge', msg: 'Interface name eth0 not found' });
    expect(await readdir(path.join(lab.cacheDir, 'results'))).toEqual([`${network}-ctr-drift-1-eth0`]);

    const [del] = await lab.driver({ config: { file }, ops: [{ op: 'del', rt }] });
    expect(ok(del)).toBeNull();
    expect(await lab.reservations(network)).toEqual([]);
    expect(await lab.hostVeths()).toEqual([]);
    expect(await readdir(path.join(lab.cacheDir, 'results'))).toEqual([]);
  });
});
