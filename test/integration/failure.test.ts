// Real plugins failing an ADD: the error names the plugin and carries its CNI code, and the
// library's rollback DEL leaves nothing behind (no veth, no reservation, no cache entry).

import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { links, realPluginSkipReason, type NetnsSandbox } from '../helpers/netns.js';
import { bridgePlugin, conflist, failed, ok, useSandboxes } from './lab.js';

const skip = realPluginSkipReason(['bridge', 'host-local', 'tuning']);

describe.skipIf(skip !== undefined)(`real plugins: failing ADD and rollback${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const sandbox = useSandboxes();

  async function cacheEntries(lab: NetnsSandbox): Promise<string[]> {
    return readdir(path.join(lab.cacheDir, 'results'));
  }

  async function linkNames(netns: string): Promise<string[]> {
    return (await links(netns)).map((link) => link.ifname);
  }

  it('host-local with its one address taken: ERR_CNI_PLUGIN from bridge, rolled back, the first container untouched', async () => {
    const lab = await sandbox();
    const [first, second] = [await lab.addContainer(), await lab.addContainer()];
    const network = 'it-full';
    const range = { subnet: '10.199.11.0/24', rangeStart: '10.199.11.10', rangeEnd: '10.199.11.10' };
    const { file } = await lab.writeConfig('10-full.conflist', conflist(network, [bridgePlugin(lab, range)]));
    const rtA = { containerId: 'ctr-full-a', netns: first.netns, ifName: 'eth0' };
    const rtB = { containerId: 'ctr-full-b', netns: second.netns, ifName: 'eth0' };

    const [addA, addB] = await lab.driver({
      config: { file },
      ops: [
        { op: 'add', rt: rtA },
        { op: 'add', rt: rtB },
      ],
    });
    expect((ok(addA) as { ips: { address: string }[] }).ips[0]!.address).toBe('10.199.11.10/24');
    const error = failed(addB);
    expect(error).toMatchObject({
      name: 'PluginReportedError',
      code: 'ERR_CNI_PLUGIN',
      cniCode: 999,
      plugin: 'bridge',
      network,
      command: 'ADD',
      msg: 'failed to allocate for range 0: no IP addresses available in range set: 10.199.11.10-10.199.11.10',
      rollback: { ok: true },
    });
    expect(error.message).toContain(`plugin type="bridge" name="${network}" failed (add)`);

    // The bridge plugin had created B's veth pair before IPAM failed; the rollback DEL removed it.
    expect(await linkNames(second.name)).toEqual(['lo']);
    const veths = await lab.hostVeths();
    expect(veths).toHaveLength(1);
    expect(await lab.reservations(network)).toEqual(['10.199.11.10']);
    expect(await readFile(path.join(lab.ipamDir, network, '10.199.11.10'), 'utf8')).toBe('ctr-full-a\r\neth0');
    expect(await cacheEntries(lab)).toEqual([`${network}-ctr-full-a-eth0`]);
    expect(await linkNames(first.name)).toEqual(['lo', 'eth0']);
  });

  it('tuning failing after bridge succeeded: ERR_CNI_PLUGIN from tuning; the rollback undoes bridge and host-local', async () => {
    const lab = await sandbox();
    const ctr = await lab.addContainer();
    const network = 'it-tuning-bad';
    const { file } = await lab.writeConfig(
      '10-tuning.conflist',
      conflist(network, [
        bridgePlugin(lab, { subnet: '10.199.12.0/24' }),
        { type: 'tuning', sysctl: { 'net.ipv4.conf.eth0.no_such_knob': '1' }, dataDir: path.join(lab.dir, 'tuning') },
      ]),
    );
    const rt = { containerId: 'ctr-tuning-1', netns: ctr.netns, ifName: 'eth0' };

    const [add] = await lab.driver({ config: { file }, ops: [{ op: 'add', rt }] });
    const error = failed(add);
    expect(error).toMatchObject({
      code: 'ERR_CNI_PLUGIN',
      cniCode: 999,
      plugin: 'tuning',
      network,
      command: 'ADD',
      msg: 'open /proc/sys/net/ipv4/conf/eth0/no_such_knob: no such file or directory',
      rollback: { ok: true },
    });
    expect(await linkNames(ctr.name)).toEqual(['lo']);
    expect(await lab.hostVeths()).toEqual([]);
    expect(await lab.reservations(network)).toEqual([]);
    expect(await cacheEntries(lab)).toEqual([]);
  });

  it('control: with rollbackOnFailure off, the same failure leaves the veth pair and the reservation behind', async () => {
    const lab = await sandbox();
    const ctr = await lab.addContainer();
    const network = 'it-tuning-norb';
    const { file } = await lab.writeConfig(
      '10-tuning.conflist',
      conflist(network, [
        bridgePlugin(lab, { subnet: '10.199.13.0/24' }),
        { type: 'tuning', sysctl: { 'net.ipv4.conf.eth0.no_such_knob': '1' }, dataDir: path.join(lab.dir, 'tuning') },
      ]),
    );
    const rt = { containerId: 'ctr-tuning-2', netns: ctr.netns, ifName: 'eth0' };

    const [add] = await lab.driver({ config: { file }, options: { rollbackOnFailure: false }, ops: [{ op: 'add', rt }] });
    const error = failed(add);
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN', cniCode: 999, plugin: 'tuning' });
    expect(error.rollback).toBeUndefined();
    expect(await linkNames(ctr.name)).toEqual(['lo', 'eth0']);
    expect(await lab.hostVeths()).toHaveLength(1);
    expect(await lab.reservations(network)).toEqual(['10.199.13.2']);
    expect(await cacheEntries(lab)).toEqual([]);

    // An explicit DEL (no cache entry exists) cleans up what the failed ADD left.
    const [del] = await lab.driver({ config: { file }, ops: [{ op: 'del', rt }] });
    expect(ok(del)).toBeNull();
    expect(await linkNames(ctr.name)).toEqual(['lo']);
    expect(await lab.hostVeths()).toEqual([]);
    expect(await lab.reservations(network)).toEqual([]);
  });

  it('bridge rejecting its config: ERR_CNI_PLUGIN code 999; the rollback DEL fails the same way and is reported; nothing created', async () => {
    const lab = await sandbox();
    const ctr = await lab.addContainer();
    const network = 'it-bad-conf';
    const { file } = await lab.writeConfig('10-bad.conflist', conflist(network, [bridgePlugin(lab, { subnet: '10.199.14.0/24' }, { mtu: 'big' })]));
    const rt = { containerId: 'ctr-bad-1', netns: ctr.netns, ifName: 'eth0' };

    const [add] = await lab.driver({ config: { file }, ops: [{ op: 'add', rt }] });
    const reason = 'failed to load netconf: json: cannot unmarshal string into Go struct field NetConf.mtu of type int';
    const error = failed(add);
    expect(error).toMatchObject({
      code: 'ERR_CNI_PLUGIN',
      cniCode: 999,
      plugin: 'bridge',
      network,
      command: 'ADD',
      msg: reason,
      rollback: { ok: false, message: `plugin type="bridge" name="${network}" failed (del): ${reason}` },
    });
    expect(await linkNames(ctr.name)).toEqual(['lo']);
    expect(await linkNames(lab.host)).toEqual(['lo']);
    expect(await lab.reservations(network)).toEqual([]);
    expect(await cacheEntries(lab)).toEqual([]);
  });

  it('a whole-call timeout in the middle of the chain: ERR_CNI_TIMEOUT, the rollback runs on its own deadline and cleans up', async () => {
    const lab = await sandbox();
    const ctr = await lab.addContainer();
    const network = 'it-timeout';
    const { file } = await lab.writeConfig(
      '10-timeout.conflist',
      conflist(network, [
        bridgePlugin(lab, { subnet: '10.199.15.0/24' }),
        { type: 'tuning', mtu: 1400, dataDir: path.join(lab.dir, 'tuning') },
        { type: 'portmap', capabilities: { portMappings: true } },
      ]),
    );
    const portMappings = [{ hostPort: 18082, containerPort: 82, protocol: 'tcp' }];
    const rt = { containerId: 'ctr-timeout-1', netns: ctr.netns, ifName: 'eth0', capabilityArgs: { portMappings } };

    // The three plugins take about 80 ms together here; the call gets 40.
    const [add] = await lab.driver({ config: { file }, ops: [{ op: 'add', rt, call: { timeout: 40 } }] });
    const error = failed(add);
    expect(error).toMatchObject({ name: 'TimeoutError', code: 'ERR_CNI_TIMEOUT', network, rollback: { ok: true } });
    expect(error.message).toContain('(rolled back: DEL succeeded)');
    expect(await linkNames(ctr.name)).toEqual(['lo']);
    expect(await lab.hostVeths()).toEqual([]);
    expect(await lab.reservations(network)).toEqual([]);
    expect(await lab.iptables('nat')).not.toMatch(/^-N CNI-DN-/m);
    expect(await cacheEntries(lab)).toEqual([]);
  });
});
