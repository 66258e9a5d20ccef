// User cases about config files: B08, B09, B27, B28, B40 (docs/CONFORMANCE.md).

import { describe, expect, it } from 'vitest';
import { loadNetworkDirectory, loadNetworkList, watchNetworks } from '../../src/index.js';
import { caseWorld, okBody, rejectionOf, type CaseWorld } from './support.js';

const RT = { containerId: 'ctr1', netns: '/var/run/netns/ns1', ifName: 'eth0' };
const names = (dir: { networks: { name: string }[] }) => dir.networks.map((entry) => entry.name);
const base = (file: string | undefined) => file?.split('/').at(-1);

async function manager(w: CaseWorld) {
  const networks = await watchNetworks({ confDir: w.confDir, path: [w.bin], persistent: false, settle: 0, rescanInterval: 0 });
  return networks;
}

describe('config file cases', () => {
  it('B08: a second file with the same network name is skipped with a diagnostic naming both files', async () => {
    const w = await caseWorld();
    await w.config('20-second.conflist', { cniVersion: '1.0.0', name: 'podnet', plugins: [{ type: 'plugB' }] });
    await w.config('10-first.conflist', { cniVersion: '1.0.0', name: 'podnet', plugins: [{ type: 'plugA' }] });
    await w.plugin('plugA', okBody('plugA', { cniVersion: '1.0.0', ips: [{ address: '10.88.0.10/16' }] }));
    await w.plugin('plugB', okBody('plugB', { cniVersion: '1.0.0', ips: [{ address: '10.99.0.10/16' }] }));
    const first = `${w.confDir}/10-first.conflist`;
    const second = `${w.confDir}/20-second.conflist`;

    const dir = await loadNetworkDirectory(w.confDir);
    expect(names(dir)).toEqual(['podnet']);
    expect(base(dir.networks[0]!.file)).toBe('10-first.conflist');
    expect(dir.skipped).toHaveLength(1);
    expect(dir.skipped[0]!.file).toBe(second);
    expect(dir.skipped[0]!.error.message).toBe(`${second}: network "podnet" is already defined by ${first}; this file is ignored`);
    expect(base((await loadNetworkList(w.confDir, 'podnet')).file)).toBe('10-first.conflist');
    expect(await w.cni().addNetworkList(dir.networks[0]!, RT)).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.88.0.10/16' }] });

    await using networks = await manager(w);
    expect(networks.state.networks.map((entry) => [entry.name, base(entry.file)])).toEqual([['podnet', '10-first.conflist']]);
    expect(base(networks.defaultNetwork?.file)).toBe('10-first.conflist');
    expect(networks.state.skipped).toEqual([expect.objectContaining({ file: second, kind: 'duplicate', network: 'podnet', reason: expect.stringContaining(first) })]);
  });

  it('B08: among three files of one name in mixed formats only the first in byte order counts', async () => {
    const w = await caseWorld();
    await w.config('30-c.json', { cniVersion: '1.0.0', name: 'podnet', type: 'plugC' });
    await w.config('20-b.conf', { cniVersion: '1.0.0', name: 'podnet', type: 'plugB' });
    await w.config('10-a.conflist', { cniVersion: '1.0.0', name: 'podnet', plugins: [{ type: 'plugA' }] });
    await w.config('15-other.conf', { cniVersion: '1.0.0', name: 'other', type: 'plugA' });
    const dir = await loadNetworkDirectory(w.confDir);
    expect(dir.networks.map((entry) => [entry.name, base(entry.file)])).toEqual([
      ['podnet', '10-a.conflist'],
      ['other', '15-other.conf'],
    ]);
    expect(dir.skipped.map((entry) => base(entry.file))).toEqual(['20-b.conf', '30-c.json']);
  });

  it('B09: the default is the first valid file in byte order whatever the creation order; broken and duplicate files are reported', async () => {
    const w = await caseWorld();
    // Created in reverse order: the OS listing order must not matter.
    await w.config('10-net.conf', '{"cniVersion":"0.4.0","name":"net","type":"main"}');
    await w.config('05-broken.conf', '{"cniVersion":"0.4.0","name":');
    await w.config('00-net.conflist', '{"cniVersion":"0.4.0","name":"net","plugins":[{"type":"main"},{"type":"portmap","capabilities":{"portMappings":true}}]}');
    await w.plugin('main', okBody('main', { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.88.0.2/16' }] }));
    await w.plugin('portmap', okBody('portmap', { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.88.0.2/16' }] }));

    const dir = await loadNetworkDirectory(w.confDir);
    expect(base(dir.networks[0]!.file)).toBe('00-net.conflist');
    expect(dir.networks[0]!.plugins.map((plugin) => plugin.type)).toEqual(['main', 'portmap']);
    expect(dir.networks).toHaveLength(1);
    expect(dir.skipped.map((entry) => base(entry.file))).toEqual(['05-broken.conf', '10-net.conf']);
    expect(dir.skipped[0]!.error.message).toMatch(new RegExp(`^${w.confDir}/05-broken.conf: invalid JSON: `));
    expect(dir.skipped[1]!.error.message).toMatch(new RegExp(`^${w.confDir}/10-net.conf: network "net" is already defined by ${w.confDir}/00-net.conflist`));

    await using networks = await manager(w);
    expect(networks.status()).toEqual({ ready: true, reasons: [] });
    expect(base(networks.defaultNetwork?.file)).toBe('00-net.conflist');
    expect(networks.state.skipped.map((entry) => [base(entry.file), entry.kind])).toEqual([
      ['05-broken.conf', 'invalid'],
      ['10-net.conf', 'duplicate'],
    ]);
  });

  it('B09: a .conf behaves like the same plugin in a one-plugin .conflist', async () => {
    const w = await caseWorld();
    await w.config('10-a.conf', '{"cniVersion":"0.4.0","name":"single","type":"main","mtu":1400,"ipam":{"type":"host-local"}}');
    await w.config('20-b.conflist', '{"cniVersion":"0.4.0","name":"listed","plugins":[{"type":"main","mtu":1400,"ipam":{"type":"host-local"}}]}');
    await w.plugin('main', okBody('main', { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.88.0.2/16' }] }));
    // Named as the IPAM plugin: ADD checks it is installed; `main` never delegates to it.
    await w.plugin('host-local', 'exit 1');
    const cni = w.cni();
    const single = await loadNetworkList(w.confDir, 'single');
    expect(single.plugins).toHaveLength(1);
    await cni.addNetworkList(single, RT);
    const fromConf = (await w.json('main-ADD.json'))!;
    await cni.addNetworkList(await loadNetworkList(w.confDir, 'listed'), RT);
    const fromList = (await w.json('main-ADD.json'))!;
    expect({ ...fromConf, name: 'x' }).toEqual({ ...fromList, name: 'x' });
  });

  it('B27: content decides the shape: a list in a .conf and a single config in a .conflist both load', async () => {
    const w = await caseWorld();
    await w.config('10-x.conf', { cniVersion: '1.0.0', name: 'xnet', plugins: [{ type: 'okplug' }] });
    await w.config('20-y.conflist', { cniVersion: '1.0.0', name: 'ynet', type: 'okplug' });
    await w.config('30-z.json', { cniVersion: '1.0.0', name: 'znet', plugins: [{ type: 'okplug' }, { type: 'okplug', second: true }] });
    await w.plugin('okplug', okBody('okplug'));
    const xnet = await loadNetworkList(w.confDir, 'xnet');
    const ynet = await loadNetworkList(w.confDir, 'ynet');
    const znet = await loadNetworkList(w.confDir, 'znet');
    expect([xnet, ynet, znet].map((list) => list.plugins.length)).toEqual([1, 1, 2]);
    const cni = w.cni();
    for (const list of [xnet, ynet]) await cni.addNetworkList(list, RT);
    expect(await w.log()).toEqual(['ADD', 'ADD']);
    expect(names(await loadNetworkDirectory(w.confDir))).toEqual(['xnet', 'ynet', 'znet']);
  });

  it('B27: a .conflist with neither plugins nor type says no plugins were found, not "missing type"', async () => {
    const w = await caseWorld();
    const file = await w.config('10-e.conflist', { cniVersion: '1.0.0', name: 'enet' });
    const { skipped } = await loadNetworkDirectory(w.confDir);
    expect(skipped.map((entry) => entry.error.message)).toEqual([`${file}: no plugin configs found`]);
  });

  it('B28: configs that can never work are refused at load, each with its file; a bad file hides no valid one', async () => {
    const w = await caseWorld();
    const a = await w.config('10-a.conflist', { cniVersion: '1.0.0', name: 'a', plugins: [] });
    const b = await w.config('20-b.conflist', { cniVersion: '1.0.0', name: 'b', plugins: [{ type: '' }] });
    const c = await w.config('30-c.conflist', { cniVersion: '1.0.0', plugins: [{ type: 'okplug' }] });
    await w.config('40-d.conflist', { cniVersion: '1.0.0', name: 'd', plugins: [{ type: 'okplug' }] });
    const e = await w.config('45-e.conflist', { cniVersion: '1.0.0', name: 'e', plugins: [{ type: 'okplug' }, {}] });
    const f = await w.config('46-f.conflist', { cniVersion: '1.0.0', name: '', plugins: [{ type: 'okplug' }] });
    const g = await w.config('47-g.conf', { cniVersion: '1.0.0', name: 'g' });
    await w.plugin('okplug', okBody('okplug'));
    const dir = await loadNetworkDirectory(w.confDir);
    expect(names(dir)).toEqual(['d']);
    expect(dir.skipped.map((entry) => entry.error.message)).toEqual([
      `${a}: no plugins in list`,
      `${b}: missing 'type' at plugins.0.type`,
      `${c}: no name at name`,
      `${e}: missing 'type' at plugins.1.type`,
      `${f}: no name at name`,
      `${g}: missing 'type' at type`,
    ]);
    for (const name of ['a', 'b']) await expect(loadNetworkList(w.confDir, name)).rejects.toMatchObject({ code: 'ERR_CNI_NETWORK_NOT_FOUND' });
    expect((await loadNetworkList(w.confDir, 'd')).name).toBe('d');

    await using networks = await manager(w);
    expect(networks.defaultNetwork?.name).toBe('d');
    expect(networks.state.skipped.map((entry) => entry.file)).toEqual([a, b, c, e, f, g]);
  });

  it.each([
    ['the string "true"', '"true"'],
    ['the string "TRUE"', '"TRUE"'],
    ['the string "True"', '"True"'],
    ['the boolean true', 'true'],
  ])('B40: disableCheck as %s skips CHECK in a .conflist and a .conf alike', async (_, flag) => {
    const w = await caseWorld();
    await w.config('10-a.conflist', `{"cniVersion":"0.4.0","name":"neta","disableCheck":${flag},"plugins":[{"type":"nocheck"}]}`);
    await w.config('20-b.conf', `{"cniVersion":"0.4.0","name":"netb","type":"nocheck","disableCheck":${flag}}`);
    await w.plugin(
      'nocheck',
      `cat > /dev/null
[ "$CNI_COMMAND" = ADD ] && { echo '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.88.0.2/16"}]}'; exit 0; }
[ "$CNI_COMMAND" = CHECK ] && { echo CHECK >> "$TMP/log"; echo '{"code":100,"msg":"check failed"}'; exit 1; }
exit 0`,
    );
    const cni = w.cni();
    for (const name of ['neta', 'netb']) {
      const list = await loadNetworkList(w.confDir, name);
      expect(list.disableCheck).toBe(true);
      await cni.addNetworkList(list, RT);
      await cni.checkNetworkList(list, RT);
    }
    expect(await w.log()).toEqual([]);
  });

  it('B40: disableCheck "false" still runs CHECK, whose failure surfaces', async () => {
    const w = await caseWorld();
    await w.config('10-a.conflist', '{"cniVersion":"0.4.0","name":"neta","disableCheck":"false","plugins":[{"type":"nocheck"}]}');
    await w.plugin('nocheck', `cat > /dev/null\n[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"0.4.0"}'\n[ "$CNI_COMMAND" = CHECK ] && { echo CHECK >> "$TMP/log"; echo '{"code":100,"msg":"check failed"}'; exit 1; }\nexit 0`);
    const list = await loadNetworkList(w.confDir, 'neta');
    const cni = w.cni();
    await cni.addNetworkList(list, RT);
    await expect(cni.checkNetworkList(list, RT)).rejects.toMatchObject({ cniCode: 100, msg: 'check failed' });
    expect(await w.log()).toEqual(['CHECK']);
  });

  it.each(['"yes"', '1', '"1"', 'null', '"on"'])('B40: disableCheck %s is a config load error, in a .conflist and a .conf', async (flag) => {
    const w = await caseWorld();
    await w.config('10-a.conflist', `{"cniVersion":"0.4.0","name":"neta","disableCheck":${flag},"plugins":[{"type":"nocheck"}]}`);
    await w.config('20-b.conf', `{"cniVersion":"0.4.0","name":"netb","type":"nocheck","disableCheck":${flag}}`);
    const { networks, skipped } = await loadNetworkDirectory(w.confDir);
    expect(networks).toEqual([]);
    expect(skipped.map((entry) => entry.error.code)).toEqual(['ERR_CNI_CONFIG', 'ERR_CNI_CONFIG']);
    const error = await rejectionOf(loadNetworkList(w.confDir, 'neta', { skipInvalid: false }));
    expect(error.message).toContain('disableCheck');
  });
});
