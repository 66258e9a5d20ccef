// User cases about argument checks and plugin lookup: B16, B18, B31 (docs/CONFORMANCE.md).

import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfList, parseConfList, type NetworkConfigList } from '../../src/index.js';
import { caseWorld, exists, okBody, rejectionOf } from './support.js';

const RT = { containerId: 'ctr1', netns: '/var/run/netns/ns1', ifName: 'eth0' };

// A list whose plugin type never went through the config parser (built by hand, or by other code).
function handMade(type: string): NetworkConfigList {
  const base = parseConfList('{"cniVersion":"1.0.0","name":"neta","type":"placeholder"}');
  return { ...base, plugins: [{ type, capabilities: [], conf: { type }, bytes: JSON.stringify({ type }) }] };
}

describe('validation and lookup cases', () => {
  it.each(['../evil', '/ROOT/evil', 'sub/evil', '.', '..', '', 'evil\u0000x', '..\\evil', 'evil/', './evil'])(
    'B16: the plugin type %j never runs a binary: refused at load and again before exec',
    async (template) => {
      const w = await caseWorld();
      const type = template.replace('/ROOT', w.root);
      const evil = `touch "$TMP/pwned"\necho '{"cniVersion":"1.0.0","ips":[{"address":"10.6.6.6/24"}]}'`;
      // Binaries a path-joining lookup would reach for these names.
      await w.plugin('evil', evil, w.root);
      await mkdir(path.join(w.bin, 'sub'));
      await w.plugin('evil', evil, path.join(w.bin, 'sub'));
      await w.plugin('evil', evil);
      const file = await w.config('10-a.conf', JSON.stringify({ cniVersion: '1.0.0', name: 'neta', type }));
      await expect(loadConfList(file)).rejects.toMatchObject({ code: 'ERR_CNI_CONFIG' });
      const error = await rejectionOf(w.cni().addNetworkList(handMade(type), RT));
      expect(error['code']).toBe('ERR_CNI_INVALID_ARG');
      expect(await exists(path.join(w.tmp, 'pwned'))).toBe(false);
      // DEL and GC refuse it the same way.
      await expect(w.cni().delNetworkList(handMade(type), RT)).rejects.toMatchObject({ code: 'ERR_CNI_INVALID_ARG' });
      expect(await exists(path.join(w.tmp, 'pwned'))).toBe(false);
    },
  );

  it.each([
    ['empty', ''],
    ['16 characters', 'abcdefghijklmnop'],
    ['with /', 'eth/0'],
    ['with :', 'eth:0'],
    ['with a space', 'eth 0'],
    ['.', '.'],
    ['..', '..'],
    ['with a tab', 'eth\t0'],
    ['with a newline', 'eth0\n'],
    ['with a no-break space', 'eth\u00a00'],
    ['with a NUL', 'eth\u00000'],
    ['16 bytes in 15 characters', 'abcdefghijklmn\u00e9'],
  ])('B18: the interface name %s is refused with code 4 before any plugin runs, for ADD, CHECK and DEL', async (_, ifName) => {
    const w = await caseWorld();
    await w.plugin('okplug', okBody('okplug'));
    const list = parseConfList('{"cniVersion":"1.0.0","name":"neta","plugins":[{"type":"okplug"}]}');
    const cni = w.cni();
    const calls = [() => cni.addNetworkList(list, { ...RT, ifName }), () => cni.checkNetworkList(list, { ...RT, ifName }), () => cni.delNetworkList(list, { ...RT, ifName })];
    for (const call of calls) {
      const error = await rejectionOf(call());
      expect(error).toMatchObject({ code: 'ERR_CNI_INVALID_ARG', cniCode: 4 });
      expect(error.message).toMatch(/ifName/);
    }
    expect(await exists(path.join(w.tmp, 'log'))).toBe(false);
  });

  it('B18: a 15-character interface name is accepted', async () => {
    const w = await caseWorld();
    await w.plugin('okplug', okBody('okplug'));
    const list = parseConfList('{"cniVersion":"1.0.0","name":"neta","plugins":[{"type":"okplug"}]}');
    await w.cni().addNetworkList(list, { ...RT, ifName: 'abcdefghijklmno' });
    expect(await w.log()).toEqual(['ADD']);
  });

  async function twoDirs() {
    const w = await caseWorld();
    const [d1, d2] = [path.join(w.root, 'd1'), path.join(w.root, 'd2')];
    await mkdir(d1);
    await mkdir(d2);
    const dup = (address: string) => `cat > /dev/null\necho "$CNI_PATH" > "$TMP/cni_path"\n[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"1.0.0","ips":[{"address":"${address}"}]}'\nexit 0`;
    await w.plugin('dup', dup('10.88.0.11/16'), d1);
    await w.plugin('dup', dup('10.88.0.22/16'), d2);
    await w.plugin('only2', dup('10.88.0.33/16'), d2);
    await w.config('10-a.conf', { cniVersion: '1.0.0', name: 'neta', type: 'dup' });
    await w.config('20-b.conf', { cniVersion: '1.0.0', name: 'netb', type: 'only2' });
    const neta = parseConfList('{"cniVersion":"1.0.0","name":"neta","type":"dup"}');
    const netb = parseConfList('{"cniVersion":"1.0.0","name":"netb","type":"only2"}');
    return { w, d1, d2, neta, netb };
  }

  it.each([
    ['an empty list', []],
    ['an empty string', ''],
    ['only separators', '::'],
  ])('B31: with %s as plugin path ADD fails naming the plugin and that no directory is configured', async (_, given) => {
    const { w, neta } = await twoDirs();
    const error = await rejectionOf(w.cni({ path: given }).addNetworkList(neta, RT));
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN_NOT_FOUND', plugin: 'dup', paths: [] });
    expect(error.message).toBe('failed to find plugin "dup": no plugin directories configured (set CNI_PATH)');
  });

  it('B31: directories are searched in order, a missing one is skipped, and CNI_PATH lists them all', async () => {
    const { w, d1, d2, neta, netb } = await twoDirs();
    const missing = path.join(w.root, 'nonexistent');
    const cni = w.cni({ path: [missing, d1, d2] });
    expect(await cni.addNetworkList(neta, RT)).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.88.0.11/16' }] });
    expect(await cni.addNetworkList(netb, RT)).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.88.0.33/16' }] });
    expect((await readFile(path.join(w.tmp, 'cni_path'), 'utf8')).trim()).toBe(`${missing}:${d1}:${d2}`);
    const notFound = await rejectionOf(w.cni({ path: [missing, d1] }).addNetworkList(netb, { ...RT, containerId: 'ctr2' }));
    expect(notFound.message).toBe(`failed to find plugin "only2" in path [${missing} ${d1}]`);
  });

  it.each([
    ['a ":"-joined string', (d1: string, d2: string) => `${d1}:${d2}`],
    ['a string with empty entries', (d1: string, d2: string) => `:${d1}::${d2}:`],
    ['a list whose entries hold ":"', (d1: string, d2: string) => [`${d1}:${d2}`]],
  ])('B31: a path given as %s is split into its directories', async (_, make) => {
    const { w, d1, d2, neta, netb } = await twoDirs();
    const cni = w.cni({ path: make(d1, d2) });
    expect(cni.path).toEqual([d1, d2]);
    expect(await cni.addNetworkList(neta, RT)).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.88.0.11/16' }] });
    expect(await cni.addNetworkList(netb, RT)).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.88.0.33/16' }] });
  });
});
