import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cacheFilePath,
  decodeCacheEntry,
  encodeCacheEntry,
  listCachedAttachments,
  readCacheEntry,
  removeCacheEntry,
  writeCacheEntry,
  type CacheEntry,
} from '../../src/index.js';
import { createFakeEnv } from '../helpers/fake-env.js';

const CONFIG = '{"cniVersion":"1.0.0","name":"net1","plugins":[{"type":"bridge","s":"<a&b>"}]}';
const KEY = { networkName: 'net1', containerId: 'ctr1', ifName: 'eth0' };

function entry(extra: Partial<CacheEntry> = {}): CacheEntry {
  return {
    kind: 'cniCacheV1',
    ...KEY,
    config: new TextEncoder().encode(CONFIG),
    netns: '/run/netns/ns1',
    cniArgs: [['K8S_POD_NAME', 'web'], ['IgnoreUnknown', '1']],
    capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] },
    result: { cniVersion: '1.0.0', ips: [{ address: '10.1.0.5/16' }] },
    ...extra,
  };
}

async function writeRaw(cacheDir: string, name: string, text: string): Promise<string> {
  const dir = path.join(cacheDir, 'results');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('cacheFilePath', () => {
  it('is <cacheDir>/results/<network>-<container>-<ifname>', () => {
    expect(cacheFilePath('/var/lib/cni', KEY)).toBe('/var/lib/cni/results/net1-ctr1-eth0');
  });

  it.each([
    [{ ...KEY, networkName: '' }],
    [{ ...KEY, containerId: '' }],
    [{ ...KEY, ifName: '' }],
  ])('rejects a key with an empty part: %j', (key) => {
    expect(() => cacheFilePath('/c', key)).toThrow(expect.objectContaining({ code: 'ERR_CNI_CACHE' }));
  });
});

describe('encodeCacheEntry', () => {
  it('writes the Go library format, field for field and in its order', () => {
    expect(encodeCacheEntry(entry())).toBe(
      `{"kind":"cniCacheV1","containerId":"ctr1","config":"${Buffer.from(CONFIG).toString('base64')}","ifName":"eth0","networkName":"net1","netns":"/run/netns/ns1","cniArgs":[["K8S_POD_NAME","web"],["IgnoreUnknown","1"]],"capabilityArgs":{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]},"result":{"cniVersion":"1.0.0","ips":[{"address":"10.1.0.5/16"}]}}`,
    );
  });

  it('leaves out an empty netns, cniArgs, capabilityArgs and a missing result', () => {
    const text = encodeCacheEntry(entry({ netns: '', cniArgs: [], capabilityArgs: {}, result: undefined }));
    expect(JSON.parse(text)).toEqual({
      kind: 'cniCacheV1',
      containerId: 'ctr1',
      config: Buffer.from(CONFIG).toString('base64'),
      ifName: 'eth0',
      networkName: 'net1',
    });
  });
});

describe('writeCacheEntry', () => {
  it('writes the file with mode 0600 in a results dir with mode 0700, leaving no temporary file', async () => {
    const env = await createFakeEnv();
    const file = await writeCacheEntry(env.cacheDir, entry());
    expect(file).toBe(path.join(env.cacheDir, 'results', 'net1-ctr1-eth0'));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(await readFile(file, 'utf8')).toBe(encodeCacheEntry(entry()));
    expect(await readdir(path.dirname(file))).toEqual(['net1-ctr1-eth0']);
  });

  it('replaces an existing entry', async () => {
    const env = await createFakeEnv();
    await writeCacheEntry(env.cacheDir, entry());
    const file = await writeCacheEntry(env.cacheDir, entry({ netns: '/run/netns/other' }));
    expect(JSON.parse(await readFile(file, 'utf8')).netns).toBe('/run/netns/other');
  });

  it('fails with ERR_CNI_CACHE when the cache dir cannot be created', async () => {
    const env = await createFakeEnv();
    const blocker = path.join(env.root, 'blocker');
    await writeFile(blocker, 'a file where a directory should be');
    await expect(writeCacheEntry(blocker, entry())).rejects.toMatchObject({ code: 'ERR_CNI_CACHE', file: path.join(blocker, 'results') });
  });
});

describe('readCacheEntry', () => {
  it('reads back what was written', async () => {
    const env = await createFakeEnv();
    const file = await writeCacheEntry(env.cacheDir, entry());
    const read = await readCacheEntry(env.cacheDir, KEY);
    expect(read).toEqual({
      state: 'ok',
      file,
      entry: { ...entry(), config: Buffer.from(CONFIG) },
    });
  });

  it('reports a missing file as missing', async () => {
    const env = await createFakeEnv();
    expect(await readCacheEntry(env.cacheDir, KEY)).toEqual({
      state: 'missing',
      file: path.join(env.cacheDir, 'results', 'net1-ctr1-eth0'),
    });
  });

  it.each([
    ['empty', '', 'the file is empty'],
    ['whitespace only', ' \n', 'the file is empty'],
    ['truncated', '{"kind":"cniCacheV1","containerId":"ct', 'not JSON: '],
    ['an array', '[1]', 'not a JSON object'],
    ['of another kind', '{"kind":"cniCacheV2","containerId":"ctr1"}', 'wrong kind "cniCacheV2"'],
    ['without ifName', '{"kind":"cniCacheV1","containerId":"ctr1","networkName":"net1"}', 'containerId, ifName or networkName missing'],
    ['with bad cniArgs', '{"kind":"cniCacheV1","containerId":"c","ifName":"i","networkName":"n","cniArgs":[["a"]]}', 'cniArgs is not a list of pairs'],
    ['with a numeric config', '{"kind":"cniCacheV1","containerId":"c","ifName":"i","networkName":"n","config":1}', 'config is not base64'],
  ])('reports a file that is %s as corrupt', async (_, text, reason) => {
    const env = await createFakeEnv();
    const file = await writeRaw(env.cacheDir, 'net1-ctr1-eth0', text);
    const read = await readCacheEntry(env.cacheDir, KEY);
    expect(read).toMatchObject({ state: 'corrupt', file });
    expect((read as { reason: string }).reason.startsWith(reason)).toBe(true);
  });

  it('reads a legacy file holding a bare result', async () => {
    const env = await createFakeEnv();
    const file = await writeRaw(env.cacheDir, 'net1-ctr1-eth0', '{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.0.0.2/24"}]}');
    expect(await readCacheEntry(env.cacheDir, KEY)).toEqual({
      state: 'legacy',
      file,
      result: { cniVersion: '0.3.1', ips: [{ version: '4', address: '10.0.0.2/24' }] },
    });
  });
});

describe('decodeCacheEntry', () => {
  it('accepts null cniArgs and capabilityArgs as absent', () => {
    const read = decodeCacheEntry('{"kind":"cniCacheV1","containerId":"c","ifName":"i","networkName":"n","cniArgs":null,"capabilityArgs":null}', 'f');
    expect(read).toMatchObject({ state: 'ok', entry: { cniArgs: undefined, capabilityArgs: undefined, result: undefined } });
  });
});

describe('removeCacheEntry', () => {
  it('removes the file, and is fine when it is already gone', async () => {
    const env = await createFakeEnv();
    const file = await writeCacheEntry(env.cacheDir, entry());
    await removeCacheEntry(env.cacheDir, KEY);
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(removeCacheEntry(env.cacheDir, KEY)).resolves.toBeUndefined();
  });
});

describe('listCachedAttachments', () => {
  it('lists attachments by file content in file name order, skipping bad and foreign files', async () => {
    const env = await createFakeEnv();
    await writeCacheEntry(env.cacheDir, entry({ networkName: 'net2', ifName: 'eth1', cniArgs: undefined, capabilityArgs: undefined }));
    await writeCacheEntry(env.cacheDir, entry());
    await writeCacheEntry(env.cacheDir, entry({ containerId: 'ctr2' }));
    await writeRaw(env.cacheDir, 'net1-ctr1-eth9', '');
    await writeRaw(env.cacheDir, 'net1-ctr1-eth8', '{"cniVersion":"1.0.0"}');
    await writeRaw(env.cacheDir, '.net1-ctr1-eth0.123.tmp', encodeCacheEntry(entry({ ifName: 'tmp' })));
    // The name says ctr1, the content says ctr3: the content wins.
    await writeRaw(env.cacheDir, 'net3-ctr1-eth0', encodeCacheEntry(entry({ networkName: 'net3', containerId: 'ctr3' })));

    const all = await listCachedAttachments(env.cacheDir);
    expect(all.map((a) => [a.networkName, a.containerId, a.ifName])).toEqual([
      ['net1', 'ctr1', 'eth0'],
      ['net1', 'ctr2', 'eth0'],
      ['net2', 'ctr1', 'eth1'],
      ['net3', 'ctr3', 'eth0'],
    ]);
    expect(all[0]).toEqual({
      ...KEY,
      netns: '/run/netns/ns1',
      cniArgs: [['K8S_POD_NAME', 'web'], ['IgnoreUnknown', '1']],
      capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] },
      config: Buffer.from(CONFIG),
      file: path.join(env.cacheDir, 'results', 'net1-ctr1-eth0'),
    });

    const ofCtr1 = await listCachedAttachments(env.cacheDir, 'ctr1');
    expect(ofCtr1.map((a) => [a.networkName, a.ifName])).toEqual([
      ['net1', 'eth0'],
      ['net2', 'eth1'],
    ]);
  });

  it('gives nothing when the cache dir does not exist', async () => {
    const env = await createFakeEnv();
    expect(await listCachedAttachments(env.cacheDir)).toEqual([]);
  });
});
