import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { confFiles, loadConfList, loadNetworkDirectory, loadNetworkList } from '../../src/index.js';
import { createFakeEnv } from '../helpers/fake-env.js';

const conflist = (name: string, type = 'a', extra: Record<string, unknown> = {}) => ({
  cniVersion: '1.0.0',
  name,
  plugins: [{ type }],
  ...extra,
});
const conf = (name: string, type = 'a') => ({ cniVersion: '1.0.0', name, type });

describe('confFiles', () => {
  it('lists .conf, .conflist and .json files in byte-wise order, skipping directories and other names', async () => {
    const env = await createFakeEnv();
    for (const name of ['b.conf', 'B.conflist', 'a.json', '10.conf', '9.conf', 'x.CONF', 'y.conflist.bak', 'z.txt', '.conf']) {
      await env.writeConfig(name, '{}');
    }
    await mkdir(path.join(env.confDir, 'dir.conflist'));
    const files = await confFiles(env.confDir);
    expect(files.map((file) => path.basename(file))).toEqual(['.conf', '10.conf', '9.conf', 'B.conflist', 'a.json', 'b.conf']);
    expect(files[0]).toBe(path.join(env.confDir, '.conf'));
  });

  it('keeps a symlink to a file', async () => {
    const env = await createFakeEnv();
    const target = await env.writeConfig('store/real.json', '{}');
    await symlink(target, path.join(env.confDir, 'link.conflist'));
    expect(await confFiles(env.confDir, ['.conflist'])).toEqual([path.join(env.confDir, 'link.conflist')]);
  });

  it('gives no files for a directory that does not exist', async () => {
    const env = await createFakeEnv();
    expect(await confFiles(path.join(env.root, 'missing'))).toEqual([]);
  });

  it('rejects a path that is a file', async () => {
    const env = await createFakeEnv();
    const file = await env.writeConfig('a.conf', '{}');
    await expect(confFiles(file)).rejects.toMatchObject({ code: 'ERR_CNI_CONFIG', file });
  });
});

describe('loadConfList', () => {
  it('appends plugins from <dir>/<name>/*.conf in file name order after the inlined ones', async () => {
    const env = await createFakeEnv();
    const file = await env.writeConfig('10-net1.conflist', conflist('net1', 'first'));
    await env.writeConfig('net1/20-third.conf', { type: 'third' });
    await env.writeConfig('net1/10-second.conf', { type: 'second', mtu: 1400 });
    await env.writeConfig('net1/30-ignored.json', { type: 'ignored' });
    const list = await loadConfList(file);
    expect(list.plugins.map((plugin) => plugin.type)).toEqual(['first', 'second', 'third']);
    expect(list.plugins[1]!.bytes).toBe('{"type":"second","mtu":1400}');
    expect(Buffer.from(list.bytes).toString()).toBe(JSON.stringify(conflist('net1', 'first')));
  });

  it('takes plugins only from the per-network directory when the list has no plugins key', async () => {
    const env = await createFakeEnv();
    const file = await env.writeConfig('net2.conflist', { cniVersion: '1.0.0', name: 'net2' });
    await env.writeConfig('net2/a.conf', { type: 'only' });
    expect((await loadConfList(file)).plugins.map((plugin) => plugin.type)).toEqual(['only']);
  });

  it('ignores the per-network directory when loadOnlyInlinedPlugins is true', async () => {
    const env = await createFakeEnv();
    const file = await env.writeConfig('net3.conflist', conflist('net3', 'inline', { loadOnlyInlinedPlugins: 'true' }));
    await env.writeConfig('net3/a.conf', { type: 'extra' });
    const list = await loadConfList(file);
    expect(list.loadOnlyInlinedPlugins).toBe(true);
    expect(list.plugins.map((plugin) => plugin.type)).toEqual(['inline']);
  });

  it.each(['..', '.', '../net.d', 'a/b'])('does not look for plugin files outside a per-network directory for the name %j', async (name) => {
    const env = await createFakeEnv();
    const file = await env.writeConfig('10.conflist', conflist(name, 'inline'));
    await env.writeConfig('20-other.conf', { cniVersion: '1.0.0', name: 'other', type: 'sibling' });
    await env.writeConfig('a/b/30.conf', { type: 'nested' });
    await writeFile(path.join(env.root, 'escaped.conf'), JSON.stringify({ type: 'escaped' }));
    expect((await loadConfList(file)).plugins.map((plugin) => plugin.type)).toEqual(['inline']);
  });

  it('rejects a list with no plugins anywhere', async () => {
    const env = await createFakeEnv();
    const file = await env.writeConfig('net4.conflist', { cniVersion: '1.0.0', name: 'net4' });
    await expect(loadConfList(file)).rejects.toMatchObject({
      code: 'ERR_CNI_CONFIG',
      file,
      message: `${file}: no plugin configs found`,
    });
  });

  it('rejects a bad plugin file in the per-network directory, naming it', async () => {
    const env = await createFakeEnv();
    const file = await env.writeConfig('net5.conflist', conflist('net5'));
    const bad = await env.writeConfig('net5/a.conf', { mtu: 1 });
    await expect(loadConfList(file)).rejects.toMatchObject({ code: 'ERR_CNI_CONFIG', file: bad });
  });

  it('recognises the shape by content when it disagrees with the extension', async () => {
    const env = await createFakeEnv();
    const listInConf = await env.writeConfig('a.conf', { cniVersion: '1.0.0', name: 'l', plugins: [{ type: 'p1' }, { type: 'p2' }] });
    const confInList = await env.writeConfig('b.conflist', conf('s', 'single'));
    expect((await loadConfList(listInConf)).plugins.map((plugin) => plugin.type)).toEqual(['p1', 'p2']);
    const single = await loadConfList(confInList);
    expect(single.name).toBe('s');
    expect(single.plugins.map((plugin) => plugin.type)).toEqual(['single']);
  });

  it('rejects a file that does not exist with ERR_CNI_CONFIG', async () => {
    const env = await createFakeEnv();
    const file = path.join(env.confDir, 'nope.conflist');
    await expect(loadConfList(file)).rejects.toMatchObject({ code: 'ERR_CNI_CONFIG', file });
  });
});

describe('loadNetworkList', () => {
  it('looks at .conflist files before .conf and .json files', async () => {
    const env = await createFakeEnv();
    await env.writeConfig('00-net.conf', conf('net', 'from-conf'));
    await env.writeConfig('00-net.json', conf('net', 'from-json'));
    const winner = await env.writeConfig('99-net.conflist', conflist('net', 'from-conflist'));
    const list = await loadNetworkList(env.confDir, 'net');
    expect(list.file).toBe(winner);
    expect(list.plugins[0]!.type).toBe('from-conflist');
  });

  it('takes the first file in byte-wise order among files of one kind', async () => {
    const env = await createFakeEnv();
    await env.writeConfig('a.conflist', conflist('net', 'lower'));
    await env.writeConfig('B.conflist', conflist('net', 'upper'));
    expect((await loadNetworkList(env.confDir, 'net')).plugins[0]!.type).toBe('upper');
  });

  it('falls back to a .conf or .json file and up-converts it', async () => {
    const env = await createFakeEnv();
    await env.writeConfig('10-other.conflist', conflist('other'));
    await env.writeConfig('20-net.json', conf('net', 'json-plugin'));
    await env.writeConfig('30-net.conf', conf('net', 'conf-plugin'));
    const list = await loadNetworkList(env.confDir, 'net');
    expect(list.name).toBe('net');
    expect(list.cniVersion).toBe('1.0.0');
    expect(list.plugins.map((plugin) => plugin.type)).toEqual(['json-plugin']);
  });

  it('ignores files whose extension differs in case', async () => {
    const env = await createFakeEnv();
    await env.writeConfig('10-net.CONFLIST', conflist('net', 'upper-ext'));
    await env.writeConfig('20-net.conf', conf('net', 'lower-ext'));
    expect((await loadNetworkList(env.confDir, 'net')).plugins[0]!.type).toBe('lower-ext');
  });

  it('ignores sub-directories, even ones with a config extension', async () => {
    const env = await createFakeEnv();
    await env.writeConfig('deep.conflist/10-net.conflist', conflist('net', 'nested'));
    await env.writeConfig('other.conf', conf('other'));
    await expect(loadNetworkList(env.confDir, 'net')).rejects.toMatchObject({ code: 'ERR_CNI_NETWORK_NOT_FOUND' });
  });

  it('rejects a directory that does not exist with ERR_CNI_NO_CONFIGS', async () => {
    const env = await createFakeEnv();
    const dir = path.join(env.root, 'missing');
    await expect(loadNetworkList(dir, 'net')).rejects.toMatchObject({
      code: 'ERR_CNI_NO_CONFIGS',
      name: 'NoConfigsFoundError',
      dir,
      message: `no net configurations found in ${dir}`,
    });
  });

  it('rejects an empty directory with ERR_CNI_NO_CONFIGS', async () => {
    const env = await createFakeEnv();
    await env.writeConfig('readme.txt', 'not a config');
    await expect(loadNetworkList(env.confDir, 'net')).rejects.toMatchObject({ code: 'ERR_CNI_NO_CONFIGS' });
  });

  it('rejects an unknown name with ERR_CNI_NETWORK_NOT_FOUND naming network and dir', async () => {
    const env = await createFakeEnv();
    await env.writeConfig('10-a.conflist', conflist('a'));
    await expect(loadNetworkList(env.confDir, 'net')).rejects.toMatchObject({
      code: 'ERR_CNI_NETWORK_NOT_FOUND',
      network: 'net',
      dir: env.confDir,
      message: `no net configuration with name "net" in ${env.confDir}`,
      skipped: [],
    });
  });

  it('skips broken files and still finds the network', async () => {
    const env = await createFakeEnv();
    await env.writeConfig('00-broken.conflist', '{"cniVersion":"1.0.0","name":"par');
    const good = await env.writeConfig('10-net.conflist', conflist('net'));
    expect((await loadNetworkList(env.confDir, 'net')).file).toBe(good);
  });

  it('names the skipped broken files when the network is not found', async () => {
    const env = await createFakeEnv();
    const broken = await env.writeConfig('00-broken.conflist', '{"name":');
    const noType = await env.writeConfig('10-notype.conf', { cniVersion: '1.0.0', name: 'x' });
    const error = await loadNetworkList(env.confDir, 'net').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_CNI_NETWORK_NOT_FOUND' });
    const { skipped, message } = error as { skipped: { file: string; error: { code: string } }[]; message: string };
    expect(skipped.map((entry) => [entry.file, entry.error.code])).toEqual([
      [broken, 'ERR_CNI_CONFIG'],
      [noType, 'ERR_CNI_CONFIG'],
    ]);
    expect(message).toContain('(skipped 2 invalid files: ');
    expect(message).toContain(broken);
    expect(message).toContain(noType);
  });

  it('fails on the first broken file, like the Go library, when skipInvalid is false', async () => {
    const env = await createFakeEnv();
    const broken = await env.writeConfig('00-broken.conflist', '{"name":');
    await env.writeConfig('10-net.conflist', conflist('net'));
    await expect(loadNetworkList(env.confDir, 'net', { skipInvalid: false })).rejects.toMatchObject({
      code: 'ERR_CNI_CONFIG',
      file: broken,
    });
  });
});

describe('loadNetworkDirectory', () => {
  it('loads every extension interleaved in byte-wise order; the first network is the default', async () => {
    const env = await createFakeEnv();
    await env.writeConfig('30-c.conflist', conflist('c'));
    await env.writeConfig('10-a.conf', conf('a'));
    await env.writeConfig('20-b.json', conf('b'));
    const { networks, skipped } = await loadNetworkDirectory(env.confDir);
    expect(networks.map((network) => network.name)).toEqual(['a', 'b', 'c']);
    expect(skipped).toEqual([]);
  });

  it('skips and reports broken files and later files reusing a network name', async () => {
    const env = await createFakeEnv();
    const partial = await env.writeConfig('05-partial.conflist', '{"cniVersion":"1.0.0","name":"par');
    const first = await env.writeConfig('10-real.conflist', conflist('real', 'one'));
    const duplicate = await env.writeConfig('20-real.conf', conf('real', 'two'));
    await env.writeConfig('07-x.conflist.tmp', conflist('tmp'));
    const { networks, skipped } = await loadNetworkDirectory(env.confDir);
    expect(networks.map((network) => [network.name, network.plugins[0]!.type])).toEqual([['real', 'one']]);
    expect(skipped.map((entry) => entry.file)).toEqual([partial, duplicate]);
    expect(skipped[1]!.error.message).toBe(`${duplicate}: network "real" is already defined by ${first}; this file is ignored`);
  });

  it('gives nothing for a directory that does not exist', async () => {
    const env = await createFakeEnv();
    expect(await loadNetworkDirectory(path.join(env.root, 'missing'))).toEqual({ networks: [], skipped: [] });
  });
});
