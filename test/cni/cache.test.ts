import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfList } from '../../src/index.js';
import { RT, installChain, resultOf } from '../helpers/chain.js';
import { createFakeEnv, type FakeEnv } from '../helpers/fake-env.js';

async function writeCacheText(env: FakeEnv, name: string, text: string): Promise<string> {
  await mkdir(path.join(env.cacheDir, 'results'), { recursive: true });
  const file = path.join(env.cacheDir, 'results', name);
  await writeFile(file, text);
  return file;
}

describe('CNI.getNetworkListCachedResult', () => {
  it('returns the cached result converted to the version of the list asked with', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    const cni = env.cni();
    await cni.addNetworkList(list, RT);
    expect(await cni.getNetworkListCachedResult(list, RT)).toEqual(resultOf('q1', 0));
    const older = parseConfList(Buffer.from(list.bytes).toString().replace('"1.0.0"', '"0.4.0"'));
    expect(await cni.getNetworkListCachedResult(older, RT)).toEqual(resultOf('q1', 0, '0.4.0'));
  });

  it('returns undefined when nothing is cached', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    expect(await env.cni().getNetworkListCachedResult(list, RT)).toBeUndefined();
  });

  it('reads a legacy bare-result file', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    await writeCacheText(env, 'chainnet-ctr1-eth0', '{"cniVersion":"0.2.0","ip4":{"ip":"10.1.0.2/24"}}');
    expect(await env.cni().getNetworkListCachedResult(list, RT)).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.1.0.2/24' }] });
  });

  it.each([
    ['corrupt', '{"kind":"cniCacheV1","conta', 'is corrupt: not JSON'],
    ['holding an unconvertible result', '{"kind":"cniCacheV1","containerId":"ctr1","ifName":"eth0","networkName":"chainnet","result":{"cniVersion":"3.0.0"}}', 'failed to convert cached result to config version'],
  ])('rejects a cache file that is %s with ERR_CNI_CACHE', async (_, text, message) => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    const file = await writeCacheText(env, 'chainnet-ctr1-eth0', text);
    const error = await env.cni().getNetworkListCachedResult(list, RT).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_CNI_CACHE', file, network: 'chainnet' });
    expect((error as Error).message).toContain(message);
  });
});

describe('CNI.getNetworkListCachedConfig', () => {
  it('returns the cached config bytes and the ADD-time args', async () => {
    const env = await createFakeEnv();
    const { list, text } = await installChain(env, ['q1']);
    const cni = env.cni();
    await cni.addNetworkList(list, { ...RT, args: [['A', '1']], capabilityArgs: { mac: 'aa:bb:cc:dd:ee:ff' } });
    const cached = await cni.getNetworkListCachedConfig(list, RT);
    expect(Buffer.from(cached!.config).toString()).toBe(text);
    expect(cached!.rt).toEqual({ ...RT, args: [['A', '1']], capabilityArgs: { mac: 'aa:bb:cc:dd:ee:ff' } });
  });

  it('returns undefined when nothing is cached, and rejects a wrong kind', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    const cni = env.cni();
    expect(await cni.getNetworkListCachedConfig(list, RT)).toBeUndefined();
    await writeCacheText(env, 'chainnet-ctr1-eth0', '{"kind":"somethingElse"}');
    await expect(cni.getNetworkListCachedConfig(list, RT)).rejects.toMatchObject({ code: 'ERR_CNI_CACHE' });
  });
});

describe('CNI.getCachedAttachments', () => {
  it('lists the attachments of every container, or of one', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    const cni = env.cni();
    await cni.addNetworkList(list, { ...RT, args: { K: 'V' } });
    await cni.addNetworkList(list, { ...RT, ifName: 'eth1' });
    await cni.addNetworkList(list, { ...RT, containerId: 'ctr2', netns: '/run/netns/ns2' });
    await writeCacheText(env, 'chainnet-ctr1-eth9', 'garbage');

    const all = await cni.getCachedAttachments();
    expect(all.map((entry) => `${entry.networkName}/${entry.containerId}/${entry.ifName}`)).toEqual([
      'chainnet/ctr1/eth0',
      'chainnet/ctr1/eth1',
      'chainnet/ctr2/eth0',
    ]);
    expect(all[0]).toMatchObject({ netns: '/run/netns/ns1', cniArgs: [['K', 'V']], capabilityArgs: undefined });
    const ofCtr2 = await cni.getCachedAttachments('ctr2');
    expect(ofCtr2.map((entry) => [entry.ifName, entry.netns])).toEqual([['eth0', '/run/netns/ns2']]);
  });

  it('rejects an invalid container ID', async () => {
    const env = await createFakeEnv();
    await expect(env.cni().getCachedAttachments('../x')).rejects.toMatchObject({ code: 'ERR_CNI_INVALID_ARG', cniCode: 4 });
  });
});
