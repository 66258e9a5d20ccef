// User cases about the result cache: B01, B02, B03, B19, B20, B24, B25 (docs/CONFORMANCE.md).

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNetworkList, parseConfList, writeCacheEntry } from '../../src/index.js';
import { caseWorld, exists, okBody, rejectionOf } from './support.js';

const NS1 = '/var/run/netns/ns1';
const rt = (containerId: string, netns: string, ifName: string) => ({ containerId, netns, ifName });

describe('cache cases', () => {
  it('B01: a result printed in an old version is cached in the list version, and DEL still runs and cleans up', async () => {
    const w = await caseWorld();
    await w.config('10-br.conflist', { cniVersion: '0.4.0', name: 'br0net', plugins: [{ type: 'fakeold' }] });
    await w.plugin('fakeold', okBody('fakeold', { cniVersion: '0.2.0', ip4: { ip: '10.88.0.5/16' } }));
    const list = await loadNetworkList(w.confDir, 'br0net');
    const cni = w.cni();
    const converted = { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.88.0.5/16' }] };
    expect(await cni.addNetworkList(list, rt('ctr1', NS1, 'eth0'))).toEqual(converted);
    const file = w.cacheFile('br0net', 'ctr1', 'eth0');
    expect(JSON.parse(await readFile(file, 'utf8'))['result']).toEqual(converted);
    await cni.delNetworkList(list, rt('ctr1', NS1, 'eth0'));
    expect(await w.log()).toEqual(['ADD', 'DEL']);
    expect((await w.json('fakeold-DEL.json'))!['prevResult']).toEqual(converted);
    expect(await exists(file)).toBe(false);
  });

  it.each([
    ['a 0.1.0 result written by an old runtime', { cniVersion: '0.1.0', ip4: { ip: '10.88.0.6/16' } }, { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.88.0.6/16' }] }],
    ['a 0.2.0 IPv6-only result', { cniVersion: '0.2.0', ip6: { ip: 'fd00::6/64' } }, { cniVersion: '0.4.0', ips: [{ version: '6', address: 'fd00::6/64' }] }],
    ['a result of an unknown version', { cniVersion: '9.9.9', ips: [] }, undefined],
    ['a result that does not fit its version', { cniVersion: '0.2.0', ip4: { ip: 'not-an-ip' } }, undefined],
  ])('B01: DEL over a cached %s runs the plugin (prevResult best-effort) and removes the cache', async (_, cached, prevResult) => {
    const w = await caseWorld();
    await w.plugin('fakeold', okBody('fakeold'));
    const list = parseConfList('{"cniVersion":"0.4.0","name":"br0net","plugins":[{"type":"fakeold"}]}');
    await writeCacheEntry(w.cacheDir, { kind: 'cniCacheV1', networkName: 'br0net', containerId: 'ctr1', ifName: 'eth0', config: list.bytes, result: cached });
    await w.cni().delNetworkList(list, rt('ctr1', NS1, 'eth0'));
    expect(await w.log()).toEqual(['DEL']);
    expect((await w.json('fakeold-DEL.json'))!['prevResult']).toEqual(prevResult);
    expect(await exists(w.cacheFile('br0net', 'ctr1', 'eth0'))).toBe(false);
  });

  it.each([
    ['a zero-byte file', ''],
    ['truncated JSON', '{"kind":'],
    ['non-JSON garbage', 'this is not json \u0000\u00ff'],
    ['only whitespace', '  \n\t\n'],
    ['JSON null', 'null'],
    ['a JSON string', '"cniCacheV1"'],
    ['an entry of another kind', '{"kind":"cniCacheV9","containerId":"ctr1","ifName":"eth0","networkName":"neta"}'],
  ])('B02: DEL succeeds over %s as cache file and removes it', async (_, content) => {
    const w = await caseWorld();
    await w.config('10-a.conflist', { cniVersion: '1.0.0', name: 'neta', plugins: [{ type: 'okplug' }] });
    await w.plugin('okplug', okBody('okplug'));
    const file = w.cacheFile('neta', 'ctr1', 'eth0');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    await w.cni().delNetworkList(await loadNetworkList(w.confDir, 'neta'), rt('ctr1', NS1, 'eth0'));
    expect(await w.log()).toEqual(['DEL']);
    expect(Object.keys((await w.json('okplug-DEL.json'))!)).not.toContain('prevResult');
    expect(await exists(file)).toBe(false);
  });

  it.each([
    ['config but no result key', {}],
    ['a null result', { result: null }],
    ['a result of the wrong shape', { result: { cniVersion: '1.0.0', ips: 'bad' } }],
  ])('B03: a successful DEL removes a cache entry holding %s', async (_, extra) => {
    const w = await caseWorld();
    await w.config('10-a.conflist', { cniVersion: '1.0.0', name: 'neta', plugins: [{ type: 'okplug' }] });
    await w.plugin('okplug', okBody('okplug', { cniVersion: '1.0.0' }));
    const list = await loadNetworkList(w.confDir, 'neta');
    const file = w.cacheFile('neta', 'ctr1', 'eth0');
    await mkdir(path.dirname(file), { recursive: true });
    const entry = { kind: 'cniCacheV1', containerId: 'ctr1', config: Buffer.from(list.bytes).toString('base64'), ifName: 'eth0', networkName: 'neta', netns: NS1 };
    await writeFile(file, JSON.stringify({ ...entry, ...extra }));
    await w.cni().delNetworkList(list, rt('ctr1', NS1, 'eth0'));
    expect(await w.log()).toEqual(['DEL']);
    expect(await exists(file)).toBe(false);
    expect(await w.cacheNames()).toEqual([]);
  });

  it('B03: the entry stays when a plugin DEL fails, so the caller can retry', async () => {
    const w = await caseWorld();
    await w.plugin('okplug', `cat > /dev/null\n[ "$CNI_COMMAND" = DEL ] && { echo '{"code":11,"msg":"retry"}'; exit 1; }\necho '{"cniVersion":"1.0.0"}'`);
    const list = parseConfList('{"cniVersion":"1.0.0","name":"neta","plugins":[{"type":"okplug"}]}');
    const cni = w.cni();
    await cni.addNetworkList(list, rt('ctr1', NS1, 'eth0'));
    await expect(cni.delNetworkList(list, rt('ctr1', NS1, 'eth0'))).rejects.toMatchObject({ cniCode: 11 });
    expect(await exists(w.cacheFile('neta', 'ctr1', 'eth0'))).toBe(true);
  });

  it('B19: the cache survives a failed DEL; the retry gets the cached prevResult and only then removes it', async () => {
    const w = await caseWorld();
    await w.config('10-a.conflist', { cniVersion: '1.0.0', name: 'neta', plugins: [{ type: 'flaky' }] });
    await w.plugin(
      'flaky',
      `input=$(cat)
case "$CNI_COMMAND" in
ADD) echo '{"cniVersion":"1.0.0","ips":[{"address":"10.88.0.9/16"}]}' ;;
DEL)
  if [ -f "$TMP/fail" ]; then echo '{"code":11,"msg":"try again"}'; exit 1; fi
  echo DEL >> "$TMP/log"
  printf '%s' "$input" > "$TMP/flaky-DEL.json" ;;
esac
exit 0`,
    );
    const list = await loadNetworkList(w.confDir, 'neta');
    const cni = w.cni();
    await cni.addNetworkList(list, rt('ctr1', NS1, 'eth0'));
    await writeFile(path.join(w.tmp, 'fail'), '');
    const error = await rejectionOf(cni.delNetworkList(list, rt('ctr1', NS1, 'eth0')));
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN', cniCode: 11, msg: 'try again', plugin: 'flaky', command: 'DEL' });
    const file = w.cacheFile('neta', 'ctr1', 'eth0');
    expect(await exists(file)).toBe(true);
    await rm(path.join(w.tmp, 'fail'));
    await cni.delNetworkList(list, rt('ctr1', NS1, 'eth0'));
    expect((await w.json('flaky-DEL.json'))!['prevResult']).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.88.0.9/16' }] });
    expect(await exists(file)).toBe(false);
    expect(await w.log()).toEqual(['DEL']);
  });

  it('B19: in a chain, a failing DEL keeps the cache while the other plugins still release what they hold', async () => {
    const w = await caseWorld();
    await w.plugin('ipam', okBody('ipam', { cniVersion: '1.0.0', ips: [{ address: '10.88.0.9/16' }] }));
    await w.plugin('flaky', `cat > /dev/null\n[ "$CNI_COMMAND" = DEL ] && [ -f "$TMP/fail" ] && { echo '{"code":11,"msg":"try again"}'; exit 1; }\n[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"1.0.0"}'\nexit 0`);
    const list = parseConfList('{"cniVersion":"1.0.0","name":"neta","plugins":[{"type":"ipam"},{"type":"flaky"}]}');
    const cni = w.cni();
    await cni.addNetworkList(list, rt('ctr1', NS1, 'eth0'));
    await writeFile(path.join(w.tmp, 'fail'), '');
    await expect(cni.delNetworkList(list, rt('ctr1', NS1, 'eth0'))).rejects.toMatchObject({ cniCode: 11, plugin: 'flaky' });
    expect(await w.log()).toEqual(['ADD', 'DEL']);
    expect(await exists(w.cacheFile('neta', 'ctr1', 'eth0'))).toBe(true);
  });

  it.each([
    ['a netns path that does not exist', '/var/run/netns/gone'],
    ['an empty netns', ''],
    ['a netns path that is a plain directory', '/'],
  ])('B20: DEL with no cache entry and %s still runs the plugin and succeeds', async (_, netns) => {
    const w = await caseWorld();
    await w.config('10-a.conflist', { cniVersion: '1.0.0', name: 'neta', plugins: [{ type: 'okplug' }] });
    await w.plugin('okplug', okBody('okplug').replace('echo "$CNI_COMMAND" >> "$TMP/log"', 'echo "$CNI_COMMAND netns=$CNI_NETNS" >> "$TMP/log"'));
    const list = await loadNetworkList(w.confDir, 'neta');
    await w.cni().delNetworkList(list, rt('ctr9', netns, 'eth0'));
    await w.cni().delNetworkList(list, { containerId: 'ctr9', ifName: 'eth0' });
    expect(await w.log()).toEqual([`DEL netns=${netns}`, 'DEL netns=']);
    expect(Object.keys((await w.json('okplug-DEL.json'))!)).not.toContain('prevResult');
    expect(await w.cacheNames()).toEqual([]);
  });

  it('B24: teardown finds each network\'s cache by its own ifname; another ifname does not pick it up', async () => {
    const w = await caseWorld();
    await w.config('10-a.conflist', { cniVersion: '1.0.0', name: 'neta', plugins: [{ type: 'okA' }] });
    await w.config('20-b.conflist', { cniVersion: '1.0.0', name: 'netb', plugins: [{ type: 'okB' }] });
    const body = (name: string, address: string) =>
      `input=$(cat)\n[ "$CNI_COMMAND" = DEL ] && printf '%s' "$input" > "$TMP/del-${name}-$CNI_IFNAME.json"\n[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"1.0.0","ips":[{"address":"${address}"}]}'\nexit 0`;
    await w.plugin('okA', body('neta', '10.88.0.3/16'));
    await w.plugin('okB', body('netb', '10.89.0.3/16'));
    const [neta, netb] = [await loadNetworkList(w.confDir, 'neta'), await loadNetworkList(w.confDir, 'netb')];
    const cni = w.cni();
    await cni.addNetworkList(neta, rt('ctr1', NS1, 'eth0'));
    await cni.addNetworkList(netb, rt('ctr1', NS1, 'eth1'));
    await cni.delNetworkList(neta, rt('ctr1', NS1, 'eth0'));
    const left = await cni.getCachedAttachments('ctr1');
    expect(left.map((entry) => ({ network: entry.networkName, ifname: entry.ifName }))).toEqual([{ network: 'netb', ifname: 'eth1' }]);

    // A DEL of netb with the positional name eth0 misses netb/eth1's cache and leaves it alone.
    await cni.delNetworkList(netb, rt('ctr1', NS1, 'eth0'));
    expect(Object.keys((await w.json('del-netb-eth0.json'))!)).not.toContain('prevResult');
    expect(await exists(w.cacheFile('netb', 'ctr1', 'eth1'))).toBe(true);

    // The original ifname finds it.
    await cni.delNetworkList(netb, { containerId: 'ctr1', netns: NS1, ifName: left[0]!.ifName });
    expect((await w.json('del-netb-eth1.json'))!['prevResult']).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.89.0.3/16' }] });
    expect(await cni.getCachedAttachments('ctr1')).toEqual([]);

    // detachNetworks without a list uses exactly what the cache holds.
    await cni.addNetworkList(neta, rt('ctr2', NS1, 'net5'));
    await cni.detachNetworks({ containerId: 'ctr2', netns: NS1 });
    expect((await w.json('del-neta-net5.json'))!['prevResult']).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.88.0.3/16' }] });
    expect(await w.cacheNames()).toEqual([]);
  });

  it('B25: ADD then DEL a hundred times leaves no cache file; GC DELs a never-deleted attachment with its cached inputs', async () => {
    const w = await caseWorld();
    await w.config('99-lo.conf', { cniVersion: '1.0.0', name: 'lo', type: 'loop' });
    await w.plugin(
      'loop',
      `input=$(cat)
[ "$CNI_COMMAND" = VERSION ] && { echo '{"cniVersion":"1.1.0","supportedVersions":${'["1.0.0","1.1.0"]'}}'; exit 0; }
echo "$CNI_COMMAND $CNI_CONTAINERID $CNI_NETNS $CNI_ARGS" >> "$TMP/log"
[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"1.0.0","interfaces":[{"name":"lo","sandbox":"/var/run/netns/ns1"}],"ips":[{"address":"127.0.0.1/8","interface":0}]}'
exit 0`,
    );
    const list = await loadNetworkList(w.confDir, 'lo');
    const cni = w.cni();
    for (let i = 1; i <= 100; i++) {
      await cni.addNetworkList(list, rt(`ctr${i}`, `/var/run/netns/ns${i}`, 'lo'));
      await cni.delNetworkList(list, rt(`ctr${i}`, `/var/run/netns/ns${i}`, 'lo'));
    }
    expect(await w.cacheNames()).toEqual([]);
    await cni.addNetworkList(list, { ...rt('ctr101', '/var/run/netns/ns101', 'lo'), args: [['K8S_POD_NAME', 'p101']] });
    await cni.gcNetworkList(list, { validAttachments: [] });
    expect((await w.log()).slice(-2)).toEqual(['ADD ctr101 /var/run/netns/ns101 K8S_POD_NAME=p101', 'DEL ctr101 /var/run/netns/ns101 K8S_POD_NAME=p101']);
    expect(await w.cacheNames()).toEqual([]);
    // A 1.0.0 list gets no GC command.
    expect((await w.log()).filter((line) => line.startsWith('GC'))).toEqual([]);
  });

  it('B25: GC keeps attachments still valid and those of other networks', async () => {
    const w = await caseWorld();
    await w.plugin('loop', okBody('loop'));
    const lo = parseConfList('{"cniVersion":"1.0.0","name":"lo","plugins":[{"type":"loop"}]}');
    const other = parseConfList('{"cniVersion":"1.0.0","name":"other","plugins":[{"type":"loop"}]}');
    const cni = w.cni();
    await cni.addNetworkList(lo, rt('keep', NS1, 'lo'));
    await cni.addNetworkList(lo, rt('stale', NS1, 'lo'));
    await cni.addNetworkList(other, rt('stale', NS1, 'lo'));
    await cni.gcNetworkList(lo, { validAttachments: [{ containerId: 'keep', ifName: 'lo' }] });
    expect(await w.cacheNames()).toEqual(['lo-keep-lo', 'other-stale-lo']);
  });
});
