// Conformance lines C47-C55 (docs/CONFORMANCE.md): reading plugin results and converting them.

import { describe, expect, it } from 'vitest';
import { convertResult, parseConfList, type Result } from '../../src/index.js';
import { RT, createFakeEnv, rejectionOf, stdinOf } from './support.js';

async function addWith(version: string, stdout: string) {
  const env = await createFakeEnv();
  await env.install('p');
  await env.install('next');
  await env.answer('p', 'ADD', { stdout });
  await env.answer('next', 'ADD', { stdout: 'null' });
  const list = parseConfList(JSON.stringify({ cniVersion: version, name: 'resnet', plugins: [{ type: 'p' }] }));
  return { env, list, cni: env.cni({ rollbackOnFailure: false }) };
}

describe('results', () => {
  it.each([
    ['0.4.0', '{"ips":[{"version":"4","address":"10.1.0.2/24"}]}', { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.1.0.2/24' }] }],
    ['1.0.0', '{"ips":[{"address":"10.1.0.2/24"}]}', { cniVersion: '1.0.0', ips: [{ address: '10.1.0.2/24' }] }],
    ['0.2.0', '{"ip4":{"ip":"10.1.0.2/24"}}', { cniVersion: '0.2.0', ip4: { ip: '10.1.0.2/24' } }],
    ['1.0.0', '{"cniVersion":"","ips":[{"address":"10.1.0.2/24"}]}', { cniVersion: '1.0.0', ips: [{ address: '10.1.0.2/24' }] }],
  ])('C47: a result without cniVersion is read in the config version %s', async (version, stdout, expected) => {
    const { list, cni } = await addWith(version, stdout);
    expect(await cni.addNetworkList(list, RT)).toEqual(expected);
  });

  it.each(['5.0.0', '0.5.0', '2.0'])('C48: a result with unknown cniVersion %s fails with "unsupported CNI result version"', async (version) => {
    const { env, list, cni } = await addWith('1.0.0', JSON.stringify({ cniVersion: version, ips: [] }));
    const error = await rejectionOf(cni.addNetworkList(list, RT));
    expect(error).toMatchObject({ code: 'ERR_CNI_RESULT', plugin: 'p', network: 'resnet', command: 'ADD' });
    expect(error.message).toContain(`unsupported CNI result version "${version}"`);
    expect((await env.invocations()).map((run) => run.command)).toEqual(['ADD']);
  });

  it('C49: an ADD printing null is an empty result of the config version', async () => {
    const { env, list, cni } = await addWith('0.4.0', 'null');
    expect(await cni.addNetworkList(list, RT)).toEqual({ cniVersion: '0.4.0' });
    const chained = parseConfList('{"cniVersion":"1.0.0","name":"two","plugins":[{"type":"next"},{"type":"p"}]}');
    await cni.addNetworkList(chained, { ...RT, containerId: 'c2' });
    const second = (await env.invocations()).at(-1);
    expect(stdinOf(second)['prevResult']).toEqual({ cniVersion: '1.0.0' });
  });

  it('C50: converting 1.0.0 to 0.4.0 gives each IP a version from its address family', () => {
    const result: Result = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', sandbox: '/run/netns/ns1' }],
      ips: [
        { address: '10.1.0.2/24', gateway: '10.1.0.1', interface: 0 },
        { address: 'fd00::2/64', interface: 0 },
      ],
    };
    expect(convertResult(result, '0.4.0')).toEqual({
      cniVersion: '0.4.0',
      interfaces: [{ name: 'eth0', sandbox: '/run/netns/ns1' }],
      ips: [
        { version: '4', address: '10.1.0.2/24', gateway: '10.1.0.1', interface: 0 },
        { version: '6', address: 'fd00::2/64', interface: 0 },
      ],
    });
  });

  it('C51: converting 0.4.0 to 0.2.0 keeps the first IP of each family and splits routes by family', () => {
    const result: Result = {
      cniVersion: '0.4.0',
      ips: [
        { version: '4', address: '10.1.0.2/24', gateway: '10.1.0.1' },
        { version: '4', address: '10.1.0.3/24' },
        { version: '6', address: 'fd00::2/64', gateway: 'fd00::1' },
      ],
      routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }, { dst: '::/0' }, { dst: '192.168.0.0/16' }],
    };
    expect(convertResult(result, '0.2.0')).toEqual({
      cniVersion: '0.2.0',
      ip4: { ip: '10.1.0.2/24', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }, { dst: '192.168.0.0/16' }] },
      ip6: { ip: 'fd00::2/64', gateway: 'fd00::1', routes: [{ dst: '::/0' }] },
    });
  });

  it('C51: a result without IPs converts to 0.2.0 without ip4/ip6 instead of failing (deliberate difference, case B38)', () => {
    expect(convertResult({ cniVersion: '0.4.0', interfaces: [{ name: 'lo' }] }, '0.2.0')).toEqual({ cniVersion: '0.2.0' });
    expect(convertResult({ cniVersion: '1.0.0' }, '0.1.0')).toEqual({ cniVersion: '0.1.0' });
  });

  it('C52: converting 0.2.0 to 1.0.0 turns ip4/ip6 into ips without version, v4 routes first, no interfaces', () => {
    const result: Result = {
      cniVersion: '0.2.0',
      ip4: { ip: '10.1.0.2/24', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0' }] },
      ip6: { ip: 'fd00::2/64', routes: [{ dst: '::/0', gw: 'fd00::1' }] },
    };
    expect(convertResult(result, '1.0.0')).toEqual({
      cniVersion: '1.0.0',
      ips: [{ address: '10.1.0.2/24', gateway: '10.1.0.1' }, { address: 'fd00::2/64' }],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0', gw: 'fd00::1' }],
    });
  });

  it('C53: 1.1.0-only fields are dropped going to 0.4.0 and, unlike Go, to 1.0.0 as well', () => {
    const result: Result = {
      cniVersion: '1.1.0',
      interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01', mtu: 1400, socketPath: '/run/vhost.sock', pciID: '0000:00:01.0' }],
      ips: [{ address: '10.1.0.2/24', interface: 0 }],
      routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1', mtu: 1300, advmss: 1200, priority: 5, table: 100, scope: 0 }],
    };
    const plainInterface = { name: 'eth0', mac: '02:00:00:00:00:01' };
    const plainRoute = { dst: '0.0.0.0/0', gw: '10.1.0.1' };
    expect(convertResult(result, '0.4.0')).toEqual({
      cniVersion: '0.4.0',
      interfaces: [plainInterface],
      ips: [{ version: '4', address: '10.1.0.2/24', interface: 0 }],
      routes: [plainRoute],
    });
    expect(convertResult(result, '1.0.0')).toEqual({ cniVersion: '1.0.0', interfaces: [plainInterface], ips: [{ address: '10.1.0.2/24', interface: 0 }], routes: [plainRoute] });
  });

  it.each(['0.5.0', '2.0.0', '1.2.0'])('C54: converting to the unregistered version %s fails with "no converter"', (version) => {
    expect(() => convertResult({ cniVersion: '1.0.0' }, version)).toThrow(expect.objectContaining({ code: 'ERR_CNI_RESULT', message: expect.stringContaining('no converter') }));
  });

  it('C55: a result without DNS information never gains a dns key, in any conversion or from null', async () => {
    const sources: Result[] = [
      { cniVersion: '0.2.0', ip4: { ip: '10.1.0.2/24' } },
      { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.1.0.2/24' }] },
      { cniVersion: '1.1.0', ips: [{ address: '10.1.0.2/24' }] },
    ];
    for (const source of sources) {
      for (const target of ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']) {
        expect(Object.keys(convertResult(source, target))).not.toContain('dns');
      }
    }
    const { list, cni } = await addWith('1.0.0', 'null');
    expect(Object.keys(await cni.addNetworkList(list, RT))).toEqual(['cniVersion']);
  });
});
