import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfList } from '../src/index.js';
import { resultOf } from './helpers/chain.js';
import { calls, createFakeEnv, type FakeEnv } from './helpers/fake-env.js';

async function network(env: FakeEnv, name: string, type: string) {
  await env.install(type);
  await env.answer(type, 'ADD', { stdout: JSON.stringify(resultOf(type, 0)) });
  return parseConfList(JSON.stringify({ cniVersion: '1.0.0', name, plugins: [{ type }] }));
}

const CONTAINER = { containerId: 'ctr1', netns: '/run/netns/ns1' };

describe('CNI.attachNetworks', () => {
  it('attaches every network and returns the results in the order given', async () => {
    const env = await createFakeEnv();
    const a = await network(env, 'neta', 'pa');
    const b = await network(env, 'netb', 'pb');
    const attached = await env.cni().attachNetworks(CONTAINER, [
      { list: a, ifName: 'eth0' },
      { list: b, ifName: 'net1' },
    ]);
    expect(attached).toEqual([
      { network: 'neta', ifName: 'eth0', result: resultOf('pa', 0) },
      { network: 'netb', ifName: 'net1', result: resultOf('pb', 0) },
    ]);
    expect((await readdir(path.join(env.cacheDir, 'results'))).sort()).toEqual(['neta-ctr1-eth0', 'netb-ctr1-net1']);
  });

  it('detaches the networks that succeeded when one fails', async () => {
    const env = await createFakeEnv();
    const a = await network(env, 'neta', 'pa');
    const b = await network(env, 'netb', 'pb');
    await env.answer('pb', 'ADD', { stdout: '{"code":11,"msg":"later"}', exitCode: 1 });
    const error = await env
      .cni()
      .attachNetworks(CONTAINER, [{ list: a, ifName: 'eth0' }, { list: b, ifName: 'net1' }], { parallel: false })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN', cniCode: 11, plugin: 'pb' });
    expect((error as Error).message).toContain('(detached the networks that had succeeded: neta/eth0)');
    expect(calls(await env.invocations())).toEqual(['ADD pa', 'ADD pb', 'DEL pb', 'DEL pa']);
    expect(await readdir(path.join(env.cacheDir, 'results'))).toEqual([]);
  });

  it('rejects the same ifName twice before running anything', async () => {
    const env = await createFakeEnv();
    const a = await network(env, 'neta', 'pa');
    const b = await network(env, 'netb', 'pb');
    await expect(
      env.cni().attachNetworks(CONTAINER, [{ list: a, ifName: 'eth0' }, { list: b, ifName: 'eth0' }]),
    ).rejects.toMatchObject({ code: 'ERR_CNI_INVALID_ARG' });
    expect(await env.invocations()).toEqual([]);
  });
});

describe('CNI.detachNetworks', () => {
  it('detaches every cached network of the container using the cached config', async () => {
    const env = await createFakeEnv();
    const a = await network(env, 'neta', 'pa');
    const b = await network(env, 'netb', 'pb');
    const cni = env.cni();
    await cni.attachNetworks(CONTAINER, [{ list: a, ifName: 'eth0' }, { list: b, ifName: 'net1' }]);
    await cni.addNetworkList(a, { containerId: 'ctr2', ifName: 'eth0' });
    await cni.detachNetworks({ containerId: 'ctr1' });
    const dels = (await env.invocations()).filter((run) => run.command === 'DEL');
    expect(calls(dels).sort()).toEqual(['DEL pa', 'DEL pb']);
    for (const run of dels) expect(run.env['CNI_NETNS']).toBe('/run/netns/ns1');
    expect(await readdir(path.join(env.cacheDir, 'results'))).toEqual(['neta-ctr2-eth0']);
  });
});
