import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfList } from '../../src/index.js';
import { calls, createFakeEnv, stdinOf } from '../helpers/fake-env.js';

// Network "a-b" with container "c" and network "a" with container "b-c" both name the cache file
// "a-b-c-eth0". The library reads the identity stored in the file and never mixes the two.
describe('cache file name collisions', () => {
  const listAB = parseConfList('{"cniVersion":"1.0.0","name":"a-b","plugins":[{"type":"rec"}]}');
  const listA = parseConfList('{"cniVersion":"1.0.0","name":"a","plugins":[{"type":"rec"}]}');
  const first = { containerId: 'c', ifName: 'eth0', netns: '/run/netns/x', capabilityArgs: { mac: '02:00:00:00:00:01' } };
  const second = { containerId: 'b-c', ifName: 'eth0', netns: '/run/netns/y' };

  it('refuses an ADD whose cache file holds another attachment, before running any plugin', async () => {
    const env = await createFakeEnv();
    await env.install('rec', 'recorder');
    await env.answer('rec', 'ADD', { stdout: '{"cniVersion":"1.0.0","ips":[{"address":"10.88.0.7/16"}]}' });
    const cni = env.cni();
    await cni.addNetworkList(listAB, first);
    const file = path.join(env.cacheDir, 'results', 'a-b-c-eth0');
    const before = await readFile(file, 'utf8');

    const error = await cni.addNetworkList(listA, second).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_CNI_CACHE', network: 'a', command: 'ADD', file });
    expect((error as Error).message).toContain('belongs to network "a-b", container c, interface eth0');
    expect(calls(await env.invocations())).toEqual(['ADD rec']);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('DEL of the other attachment neither uses nor removes the file', async () => {
    const env = await createFakeEnv();
    await env.install('rec', 'recorder');
    await env.answer('rec', 'ADD', { stdout: '{"cniVersion":"1.0.0","ips":[{"address":"10.88.0.7/16"}]}' });
    const cni = env.cni();
    await cni.addNetworkList(listAB, first);
    await cni.delNetworkList(listA, second);

    const runs = await env.invocations();
    expect(calls(runs)).toEqual(['ADD rec', 'DEL rec']);
    const del = stdinOf(runs[1]!);
    expect(del).not.toHaveProperty('prevResult');
    expect(del).not.toHaveProperty('runtimeConfig');
    expect(runs[1]!.env['CNI_CONTAINERID']).toBe('b-c');
    expect(await readdir(path.join(env.cacheDir, 'results'))).toEqual(['a-b-c-eth0']);
    await expect(cni.getNetworkListCachedResult(listA, second)).resolves.toBeUndefined();
    await expect(cni.getNetworkListCachedConfig(listA, second)).resolves.toBeUndefined();
  });

  it('CHECK of the other attachment fails with ERR_CNI_CACHE naming the owner', async () => {
    const env = await createFakeEnv();
    await env.install('rec', 'recorder');
    await env.answer('rec', 'ADD', { stdout: '{"cniVersion":"1.0.0","ips":[{"address":"10.88.0.7/16"}]}' });
    const cni = env.cni();
    await cni.addNetworkList(listAB, first);
    const error = await cni.checkNetworkList(listA, second).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_CNI_CACHE', command: 'CHECK' });
    expect((error as Error).message).toContain('belongs to network "a-b", container c');
  });
});
