// static IPAM through libcni (under bridge): addresses, routes and DNS from the config, and an
// address from CNI_ARGS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, requireEnvironment } from './lab.js';

let lab: Lab;

beforeAll(async () => {
  requireEnvironment({ plugins: ['bridge', 'static'], tools: ['busybox'] });
  lab = await Lab.create('st');
});

afterAll(async () => {
  await lab?.dispose();
});

function conf(ipam: Record<string, unknown>) {
  return { cniVersion: '1.0.0', name: 'staticnet', plugins: [{ type: 'bridge', bridge: 'cnistatic0', isGateway: true, ipam: { type: 'static', ...ipam } }] };
}

describe('static', () => {
  it('assigns the configured address and route', async () => {
    const ctr = await lab.netns('one');
    const file = await lab.writeConf('static.conflist', conf({
      addresses: [{ address: '10.241.0.50/24', gateway: '10.241.0.1' }],
      // bridge's CHECK compares routes literally, so the route names its gateway.
      routes: [{ dst: '10.99.0.0/16', gw: '10.241.0.1' }],
    }));
    const rt = { containerId: 'ctr-static', netns: lab.path(ctr), ifName: 'eth0' };
    const result = await lab.add(file, rt);
    expect(result.ips).toEqual([expect.objectContaining({ address: '10.241.0.50/24', gateway: '10.241.0.1' })]);
    expect(result.routes).toEqual([{ dst: '10.99.0.0/16', gw: '10.241.0.1' }]);
    expect(await lab.addresses(ctr, 'eth0')).toEqual(['10.241.0.50/24']);
    expect(await lab.in(ctr, 'ip', ['route', 'show', '10.99.0.0/16'])).toContain('via 10.241.0.1');
    expect(await lab.ping(ctr, '10.241.0.1')).toBe(true);
    await lab.check(file, rt);
    await lab.del(file, rt);
    expect(await lab.links(ctr, 'eth0').catch((error: Error) => error.message)).toMatch(/does not exist/);
  });

  it('takes the address from CNI_ARGS (IP=...) when the config has none', async () => {
    const ctr = await lab.netns('two');
    const file = await lab.writeConf('static-args.conflist', { ...conf({ routes: [{ dst: '0.0.0.0/0' }] }), name: 'staticargs' });
    const rt = { containerId: 'ctr-static-args', netns: lab.path(ctr), ifName: 'eth0', args: [['IgnoreUnknown', '1'], ['IP', '10.241.0.77/24'], ['GATEWAY', '10.241.0.1']] as [string, string][] };
    const result = await lab.add(file, rt);
    expect(result.ips?.[0]?.address).toBe('10.241.0.77/24');
    expect(await lab.addresses(ctr, 'eth0')).toEqual(['10.241.0.77/24']);
    expect(await lab.in(ctr, 'ip', ['route', 'show', 'default'])).toContain('via 10.241.0.1');
    // CHECK and DEL replay the CNI_ARGS of ADD from the cache; DEL is given none here.
    await lab.check(file, rt);
    await lab.del(file, { containerId: rt.containerId, netns: rt.netns, ifName: 'eth0' });
    expect(await lab.links(ctr, 'eth0').catch((error: Error) => error.message)).toMatch(/does not exist/);
    expect(await lab.cachedResults(rt.containerId)).toEqual([]);
  });
});
