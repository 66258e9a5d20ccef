// bridge + host-local + bandwidth with the bandwidth capability. bandwidth 1.1.1 crashes (Go panic,
// exit 2, nothing on stdout) on CHECK without the runtimeConfig of ADD, so CHECK must replay the
// cached capability args; without them the library must still report the crash cleanly.

import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { links, realPluginSkipReason } from '../helpers/netns.js';
import { bridgePlugin, conflist, failed, ok, useSandboxes } from './lab.js';

const skip = realPluginSkipReason(['bridge', 'host-local', 'bandwidth'], ['tc']);

describe.skipIf(skip !== undefined)(`real plugins: bandwidth${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const sandbox = useSandboxes();

  it('ADD shapes traffic; CHECK from another process passes by replaying the cached args; DEL removes the ifb', async () => {
    const lab = await sandbox();
    const ctr = await lab.addContainer();
    const network = 'it-bandwidth';
    const { file } = await lab.writeConfig(
      '10-bw.conflist',
      conflist(network, [bridgePlugin(lab, { subnet: '10.199.20.0/24' }), { type: 'bandwidth', capabilities: { bandwidth: true } }]),
    );
    const bandwidth = { ingressRate: 1_000_000, ingressBurst: 100_000, egressRate: 2_000_000, egressBurst: 200_000 };
    const rt = { containerId: 'ctr-bw-1', netns: ctr.netns, ifName: 'eth0' };

    const [add] = await lab.driver({ config: { file }, ops: [{ op: 'add', rt: { ...rt, capabilityArgs: { bandwidth } } }] });
    const result = ok(add, 'bridge+host-local+bandwidth ADD') as { interfaces: { name: string }[] };
    // bandwidth adds its ifb device to the result's interfaces.
    expect(result.interfaces.map((entry) => entry.name)).toEqual([lab.bridge, expect.stringMatching(/^veth/), 'eth0', expect.stringMatching(/^bwp/)]);
    const [, veth, , ifb] = result.interfaces.map((entry) => entry.name) as [string, string, string, string];
    expect((await links(lab.host)).find((link) => link.ifname === ifb)?.linkinfo?.info_kind).toBe('ifb');
    expect((await lab.qdiscs(veth)).map((qdisc) => qdisc.kind).sort()).toEqual(['ingress', 'tbf']);
    expect((await lab.qdiscs(ifb)).map((qdisc) => qdisc.kind)).toEqual(['tbf']);

    const [check] = await lab.driver({ config: { file }, ops: [{ op: 'check', rt }] });
    expect(ok(check, 'bridge+host-local+bandwidth CHECK')).toBeNull();

    // Take the capability args out of the cache: CHECK now reaches bandwidth without them.
    const cacheFile = lab.cacheFile(network, rt.containerId);
    const entry = JSON.parse(await readFile(cacheFile, 'utf8')) as Record<string, unknown>;
    expect(entry['capabilityArgs']).toEqual({ bandwidth });
    delete entry['capabilityArgs'];
    await writeFile(cacheFile, JSON.stringify(entry));
    const [crashed] = await lab.driver({ config: { file }, ops: [{ op: 'check', rt }] });
    const error = failed(crashed);
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN_EXEC', plugin: 'bandwidth', command: 'CHECK', exitCode: 2 });
    expect(error.message).toContain('exited with code 2 without output');
    expect(error.stderr).toMatch(/^panic: /m);

    const [del] = await lab.driver({ config: { file }, ops: [{ op: 'del', rt }] });
    expect(ok(del, 'bridge+host-local+bandwidth DEL')).toBeNull();
    expect((await links(lab.host)).map((link) => link.ifname)).toEqual(['lo', lab.bridge]);
    expect(await lab.reservations(network)).toEqual([]);
    expect(await readdir(path.join(lab.cacheDir, 'results'))).toEqual([]);
  });
});
