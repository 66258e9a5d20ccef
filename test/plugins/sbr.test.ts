// sbr chained after bridge through libcni: source-based routing for the container address in a
// table of its own, inside the container.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, requireEnvironment } from './lab.js';

let lab: Lab;

beforeAll(async () => {
  requireEnvironment({ plugins: ['bridge', 'host-local', 'sbr'], tools: ['busybox'] });
  lab = await Lab.create('sbr');
});

afterAll(async () => {
  await lab?.dispose();
});

describe('sbr', () => {
  it('moves the container routes into a per-source table and keeps traffic working', async () => {
    const ctr = await lab.netns('ctr');
    const ipamDir = `${lab.dir}/ipam`;
    const file = await lab.writeConf('sbr.conflist', {
      cniVersion: '1.0.0',
      name: 'sbrnet',
      plugins: [
        { type: 'bridge', bridge: 'cnisbr0', isGateway: true, ipam: { type: 'host-local', subnet: '10.247.0.0/24', routes: [{ dst: '0.0.0.0/0' }], dataDir: ipamDir } },
        { type: 'sbr' },
      ],
    });
    const rt = { containerId: 'ctr-sbr', netns: lab.path(ctr), ifName: 'eth0' };
    const result = await lab.add(file, rt);
    const address = result.ips![0]!.address.split('/')[0]!;
    const rules = await lab.in(ctr, 'ip', ['rule', 'show']);
    const table = new RegExp(`from ${address.replaceAll('.', '\\.')} lookup (\\d+)`).exec(rules)?.[1];
    expect(table).toBeDefined();
    expect(await lab.in(ctr, 'ip', ['route', 'show', 'table', table!])).toContain('default via 10.247.0.1');
    // Only traffic from the container's address finds the routes now.
    expect(await lab.ping(ctr, '10.247.0.1', address)).toBe(true);

    // bridge's CHECK looks for the gateway route in the main table, where sbr no longer leaves it:
    // the two plugins do not CHECK together. libcni reports it as bridge's error.
    const failed = await lab.failure({ op: 'check', file, rt });
    expect(failed).toEqual(expect.objectContaining({ code: 'ERR_CNI_PLUGIN', plugin: 'bridge', cniCode: expect.any(Number) }));
    expect(failed.msg).toMatch(/Gateway 10\.247\.0\.1/);

    await lab.del(file, rt);
    expect(await lab.in(ctr, 'ip', ['rule', 'show'])).not.toContain(`from ${address}`);
    expect(await lab.reservations(ipamDir)).toEqual([]);
    expect(await lab.cachedResults()).toEqual([]);
  });
});
