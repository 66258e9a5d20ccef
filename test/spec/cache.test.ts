// Conformance lines C67-C73 (docs/CONFORMANCE.md): the per-attachment result cache.

import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CNI, DEFAULT_CACHE_DIR, cacheFilePath, writeCacheEntry, type CacheEntry } from '../../src/index.js';
import { RT, createFakeEnv, installChain, readJson, rejectionOf, resultOf, stdinOf } from './support.js';

const key = (networkName: string, containerId = 'ctr1', ifName = 'eth0') => ({ networkName, containerId, ifName });

async function plant(cacheDir: string, name: string, content: string | object): Promise<string> {
  const dir = path.join(cacheDir, 'results');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('result cache', () => {
  it('C67: after ADD the cache file holds the Go format, mode 0600 in a 0700 directory', async () => {
    const env = await createFakeEnv();
    const { list, text } = await installChain(env, ['a', 'b'], { pluginExtra: { a: { capabilities: { portMappings: true } } } });
    const capabilityArgs = { portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }], unused: { x: 1 } };
    const rt = { ...RT, args: [['IgnoreUnknown', '1'], ['K', 'V']] as [string, string][], capabilityArgs };
    await env.cni().addNetworkList(list, rt);
    const file = path.join(env.cacheDir, 'results', 'chainnet-ctr1-eth0');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    const content = await readFile(file, 'utf8');
    expect(Object.keys(JSON.parse(content) as object)).toEqual([
      'kind', 'containerId', 'config', 'ifName', 'networkName', 'netns', 'cniArgs', 'capabilityArgs', 'result',
    ]);
    expect(JSON.parse(content)).toEqual({
      kind: 'cniCacheV1',
      containerId: 'ctr1',
      config: Buffer.from(text).toString('base64'),
      ifName: 'eth0',
      networkName: 'chainnet',
      netns: '/run/netns/ns1',
      cniArgs: [['IgnoreUnknown', '1'], ['K', 'V']],
      capabilityArgs,
      result: resultOf('b', 1),
    });
  });

  it('C68: the default cache directory is /var/lib/cni; the constructor option overrides it', async () => {
    expect(DEFAULT_CACHE_DIR).toBe('/var/lib/cni');
    expect(new CNI().cacheDir).toBe('/var/lib/cni');
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a']);
    const elsewhere = path.join(env.root, 'elsewhere');
    const cni = env.cni({ cacheDir: elsewhere });
    expect(cni.cacheDir).toBe(elsewhere);
    await cni.addNetworkList(list, RT);
    expect(await readdir(path.join(elsewhere, 'results'))).toEqual(['chainnet-ctr1-eth0']);
  });

  it('C69: the cached result is undefined (no error) without a cache file, and converted to the list version', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a']);
    const cni = env.cni();
    expect(await cni.getNetworkListCachedResult(list, RT)).toBeUndefined();
    await writeCacheEntry(env.cacheDir, {
      kind: 'cniCacheV1',
      ...key('chainnet'),
      config: list.bytes,
      result: { cniVersion: '0.2.0', ip4: { ip: '10.7.0.2/24', gateway: '10.7.0.1' } },
    });
    expect(await cni.getNetworkListCachedResult(list, RT)).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.7.0.2/24', gateway: '10.7.0.1' }] });
  });

  it('C70: the cached config is the list bytes plus the cached CNI_ARGS and capability args; a wrong kind is an error', async () => {
    const env = await createFakeEnv();
    const { list, text } = await installChain(env, ['a']);
    const cni = env.cni();
    expect(await cni.getNetworkListCachedConfig(list, RT)).toBeUndefined();
    await cni.addNetworkList(list, { ...RT, args: [['A', '1']], capabilityArgs: { mac: '02:00:00:00:00:09' } });
    const cached = await cni.getNetworkListCachedConfig(list, { ...RT, args: [['B', '2']], capabilityArgs: { other: true } });
    expect(Buffer.from(cached!.config).toString()).toBe(text);
    expect(cached!.rt).toMatchObject({ containerId: 'ctr1', ifName: 'eth0', args: [['A', '1']], capabilityArgs: { mac: '02:00:00:00:00:09' } });

    await plant(env.cacheDir, 'chainnet-ctr1-eth0', { kind: 'cniCacheV2', containerId: 'ctr1', ifName: 'eth0', networkName: 'chainnet' });
    await expect(cni.getNetworkListCachedConfig(list, RT)).rejects.toMatchObject({ code: 'ERR_CNI_CACHE', message: expect.stringContaining('kind') });
  });

  it('C71: a legacy cache file holding a bare result is still read as the cached result', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a']);
    const legacy = { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.8.0.4/24' }] };
    await plant(env.cacheDir, 'chainnet-ctr1-eth0', legacy);
    const cni = env.cni();
    expect(await cni.getNetworkListCachedResult(list, RT)).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.8.0.4/24' }] });
    await cni.delNetworkList(list, RT);
    const [del] = await env.invocations();
    expect(stdinOf(del)['prevResult']).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.8.0.4/24' }] });
  });

  it('C72: cached attachments of a container come from file content; malformed and wrong-kind files are skipped', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a']);
    const cni = env.cni();
    await cni.addNetworkList(list, { ...RT, ifName: 'eth0' });
    await cni.addNetworkList(list, { ...RT, ifName: 'net1', netns: '/run/netns/other' });
    await cni.addNetworkList(list, { ...RT, containerId: 'ctr10' });
    const entry = (containerId: string) => ({ kind: 'cniCacheV1', containerId, ifName: 'eth9', networkName: 'x', config: '' });
    await plant(env.cacheDir, 'x-ctr1-eth9', entry('someone-else'));
    await plant(env.cacheDir, 'y-ctr1-eth9', '{"kind":"cniCacheV1","contai');
    await plant(env.cacheDir, 'z-ctr1-eth9', { ...entry('ctr1'), kind: 'other' });
    await plant(env.cacheDir, 'w-ctr1-eth9', { ...entry('ctr1'), networkName: '' });
    const found = await cni.getCachedAttachments('ctr1');
    expect(found.map((item) => [item.networkName, item.containerId, item.ifName, item.netns])).toEqual([
      ['chainnet', 'ctr1', 'eth0', '/run/netns/ns1'],
      ['chainnet', 'ctr1', 'net1', '/run/netns/other'],
    ]);
    expect((await cni.getCachedAttachments()).map((item) => item.containerId).sort()).toEqual(['ctr1', 'ctr1', 'ctr10', 'someone-else']);
  });

  it('C73: a cache write is atomic: a reader sees the old or the new file, never a part, and no temp file stays', async () => {
    const env = await createFakeEnv();
    const big = (fill: string): CacheEntry => ({
      kind: 'cniCacheV1',
      ...key('atomic'),
      config: new TextEncoder().encode('{}'),
      capabilityArgs: { blob: fill.repeat(1 << 20) },
      result: { cniVersion: '1.0.0' },
    });
    const file = cacheFilePath(env.cacheDir, key('atomic'));
    await writeCacheEntry(env.cacheDir, big('a'));
    let writing = true;
    const seen = new Set<string>();
    const reader = (async () => {
      while (writing) {
        const parsed = (await readJson(file)) as { capabilityArgs: { blob: string } };
        const blob = parsed.capabilityArgs.blob;
        expect(blob.length).toBe(1 << 20);
        seen.add(blob[0]! + blob.at(-1)!);
      }
    })();
    for (let round = 0; round < 30; round++) await writeCacheEntry(env.cacheDir, big(round % 2 ? 'a' : 'b'), { sync: false });
    writing = false;
    await reader;
    expect([...seen].every((value) => value === 'aa' || value === 'bb')).toBe(true);
    expect(await readdir(path.dirname(file))).toEqual(['atomic-ctr1-eth0']);
  });

  it('C73: a write that cannot complete leaves the previous entry intact', async () => {
    const env = await createFakeEnv();
    const entry: CacheEntry = { kind: 'cniCacheV1', ...key('keep'), config: new Uint8Array(), result: { cniVersion: '1.0.0' } };
    const file = await writeCacheEntry(env.cacheDir, entry);
    const before = await readFile(file, 'utf8');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    await rejectionOf(writeCacheEntry(env.cacheDir, { ...entry, result: cyclic }));
    expect(await readFile(file, 'utf8')).toBe(before);
    expect(await readdir(path.dirname(file))).toEqual(['keep-ctr1-eth0']);
  });
});
