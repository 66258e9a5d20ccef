// loopback through libcni: brings `lo` up in a namespace where it starts down, and down again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, requireEnvironment } from './lab.js';

let lab: Lab;

beforeAll(async () => {
  requireEnvironment({ plugins: ['loopback'], tools: ['busybox'] });
  lab = await Lab.create('lo');
});

afterAll(async () => {
  await lab?.dispose();
});

describe('loopback', () => {
  it('brings lo up on ADD, passes CHECK, and takes it down on DEL', async () => {
    const ctr = await lab.netns('ctr', { loUp: false });
    const file = await lab.writeConf('99-loopback.conf', { cniVersion: '1.0.0', name: 'lo', type: 'loopback' });
    const rt = { containerId: 'ctr-lo', netns: lab.path(ctr), ifName: 'lo' };
    const [before] = await lab.links(ctr, 'lo');
    expect(before?.flags).not.toContain('UP');

    const result = await lab.add(file, rt);
    expect(result.interfaces).toEqual([expect.objectContaining({ name: 'lo', sandbox: lab.path(ctr) })]);
    expect(result.ips?.map((ip) => ip.address)).toContain('127.0.0.1/8');
    const [after] = await lab.links(ctr, 'lo');
    expect(after?.flags).toContain('UP');
    expect(await lab.addresses(ctr, 'lo')).toEqual(['127.0.0.1/8']);
    expect(await lab.ping(ctr, '127.0.0.1')).toBe(true);

    await lab.check(file, rt);
    await lab.del(file, rt);
    const [down] = await lab.links(ctr, 'lo');
    expect(down?.flags).not.toContain('UP');
    expect(await lab.cachedResults()).toEqual([]);
  });
});
