// Conformance lines C01-C14 (docs/CONFORMANCE.md): reading network configs from files and bytes.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { confFiles, loadConfList, loadNetworkDirectory, loadNetworkList, parseConf, parseConfList } from '../../src/index.js';
import { createFakeEnv, rejectionOf } from './support.js';

const list = (name: string, type: string, extra: Record<string, unknown> = {}) => ({ cniVersion: '1.0.0', name, ...extra, plugins: [{ type }] });
const single = (name: string, type: string) => ({ cniVersion: '1.0.0', name, type });
const types = (value: { plugins: readonly { type: string }[] }) => value.plugins.map((plugin) => plugin.type);

describe('config loading', () => {
  it('C01: lookup by name tries .conflist files before .conf/.json, each group in byte-wise order; runtime listing interleaves', async () => {
    const env = await createFakeEnv();
    await env.writeConfig('30-b.conflist', list('net', 'from30conflist'));
    await env.writeConfig('20-a.conflist', list('net', 'from20conflist'));
    await env.writeConfig('10-c.conf', single('net', 'from10conf'));
    await env.writeConfig('B.conflist', list('upper', 'upperB'));
    await env.writeConfig('a.conflist', list('upper', 'lowerA'));
    await env.writeConfig('05.json', single('solo', 'json05'));
    await env.writeConfig('06.conf', single('solo', 'conf06'));
    expect(types(await loadNetworkList(env.confDir, 'net'))).toEqual(['from20conflist']);
    // "B" (0x42) sorts before "a" (0x61).
    expect(types(await loadNetworkList(env.confDir, 'upper'))).toEqual(['upperB']);
    expect(types(await loadNetworkList(env.confDir, 'solo'))).toEqual(['json05']);

    // The runtime-style listing takes all three extensions in one byte-wise order; the first file is the default.
    const { networks } = await loadNetworkDirectory(env.confDir);
    expect(networks.map((entry) => path.basename(entry.file!))).toEqual(['05.json', '10-c.conf', 'B.conflist']);
  });

  it('C02: a .conf/.json single plugin config becomes a one-plugin list named and versioned after the object', async () => {
    const env = await createFakeEnv();
    const text = '{"cniVersion":"0.4.0","name":"single","type":"bridge","mtu":1400}';
    await env.writeConfig('10-single.conf', text);
    await env.writeConfig('20-other.json', '{"cniVersion":"0.3.1","name":"other","type":"ptp"}');
    const loaded = await loadNetworkList(env.confDir, 'single');
    expect(loaded).toMatchObject({ name: 'single', cniVersion: '0.4.0' });
    expect(loaded.plugins).toHaveLength(1);
    expect(loaded.plugins[0]).toMatchObject({ type: 'bridge', bytes: text });
    expect(await loadNetworkList(env.confDir, 'other')).toMatchObject({ name: 'other', cniVersion: '0.3.1', plugins: [{ type: 'ptp' }] });
  });

  it('C03: extensions match exactly and case-sensitively; sub-directories are ignored', async () => {
    const env = await createFakeEnv();
    await env.writeConfig('10.CONF', single('net', 'upper'));
    await env.writeConfig('20.conflist.bak', list('net', 'backup'));
    await env.writeConfig('30.Json', single('net', 'mixed'));
    await mkdir(path.join(env.confDir, '40-dir.conflist'));
    await env.writeConfig('sub/50.conflist', list('net', 'nested'));
    expect(await confFiles(env.confDir)).toEqual([]);
    await expect(loadNetworkList(env.confDir, 'net')).rejects.toMatchObject({ code: 'ERR_CNI_NO_CONFIGS' });
  });

  it('C04: a config directory that does not exist means "no net configurations found", not an I/O error', async () => {
    const env = await createFakeEnv();
    const dir = path.join(env.root, 'nowhere');
    const error = await rejectionOf(loadNetworkList(dir, 'net'));
    expect(error).toMatchObject({ name: 'NoConfigsFoundError', code: 'ERR_CNI_NO_CONFIGS', dir });
    expect(error.message).toBe(`no net configurations found in ${dir}`);
  });

  it('C05: conflists without the wanted name and no .conf/.json give a not-found error naming network and dir', async () => {
    const env = await createFakeEnv();
    await env.writeConfig('10-a.conflist', list('a', 'x'));
    const error = await rejectionOf(loadNetworkList(env.confDir, 'wanted'));
    expect(error).toMatchObject({ name: 'NetworkNotFoundError', code: 'ERR_CNI_NETWORK_NOT_FOUND', network: 'wanted', dir: env.confDir });
    expect(error.message).toBe(`no net configuration with name "wanted" in ${env.confDir}`);
  });

  it.each([
    ['no name', { cniVersion: '1.0.0', plugins: [{ type: 'x' }] }, 'no name'],
    ['a numeric name', { cniVersion: '1.0.0', name: 5, plugins: [{ type: 'x' }] }, "expected 'name' to be a string"],
    ['an object name', { cniVersion: '1.0.0', name: { n: 1 }, plugins: [{ type: 'x' }] }, "expected 'name' to be a string"],
  ])('C06: a conflist with %s fails to load', (_, value, message) => {
    expect(() => parseConfList(JSON.stringify(value))).toThrow(expect.objectContaining({ code: 'ERR_CNI_CONFIG', message: expect.stringContaining(message) }));
  });

  it('C07: a non-string cniVersion fails to load; a missing one is empty and later means 0.1.0', async () => {
    for (const bad of [1, true, ['1.0.0'], null]) {
      expect(() => parseConfList(JSON.stringify({ cniVersion: bad, name: 'n', plugins: [{ type: 'x' }] }))).toThrow(
        expect.objectContaining({ code: 'ERR_CNI_CONFIG' }),
      );
    }
    const unversioned = parseConfList('{"name":"n","plugins":[{"type":"x"}]}');
    expect(unversioned.cniVersion).toBe('');
    // As 0.1.0 it predates CHECK.
    const env = await createFakeEnv();
    await env.install('x');
    await expect(env.cni().checkNetworkList(unversioned, { containerId: 'c1', netns: '/run/netns/c1', ifName: 'eth0' })).rejects.toMatchObject({
      code: 'ERR_CNI_VERSION',
    });
    expect(await env.invocations()).toEqual([]);
  });

  it('C08: cniVersions drops entries newer than 1.1.0 and picks the highest of the rest together with cniVersion', () => {
    const picked = (extra: Record<string, unknown>) => parseConfList(JSON.stringify({ name: 'n', ...extra, plugins: [{ type: 'x' }] })).cniVersion;
    expect(picked({ cniVersion: '0.3.1', cniVersions: ['0.4.0', '1.0.0', '9.9.9'] })).toBe('1.0.0');
    expect(picked({ cniVersion: '1.1.0', cniVersions: ['0.4.0'] })).toBe('1.1.0');
    expect(picked({ cniVersions: ['1.0.0', '0.3.1', '1.1.0'] })).toBe('1.1.0');
  });

  it.each([
    ['a non-string entry', [1]],
    ['an unparsable entry', ['1.x']],
    ['a four-part entry', ['1.0.0.0']],
  ])('C09: cniVersions with %s fails to load', (_, cniVersions) => {
    expect(() => parseConfList(JSON.stringify({ cniVersion: '1.0.0', cniVersions, name: 'n', plugins: [{ type: 'x' }] }))).toThrow(
      expect.objectContaining({ code: 'ERR_CNI_CONFIG' }),
    );
  });

  describe.each(['disableCheck', 'disableGC', 'loadOnlyInlinedPlugins'] as const)('%s', (flag) => {
    it.each([
      [true, true],
      ['TRUE', true],
      ['true', true],
      ['false', false],
      ['False', false],
      [false, false],
    ])(`C10: ${flag} accepts %j as %s`, (value, expected) => {
      expect(parseConfList(JSON.stringify({ cniVersion: '1.0.0', name: 'n', [flag]: value, plugins: [{ type: 'x' }] }))[flag]).toBe(expected);
    });

    it.each([1, 0, 'yes', 'on', null, {}])(`C10: ${flag} rejects %j`, (value) => {
      expect(() => parseConfList(JSON.stringify({ cniVersion: '1.0.0', name: 'n', [flag]: value, plugins: [{ type: 'x' }] }))).toThrow(
        expect.objectContaining({ code: 'ERR_CNI_CONFIG' }),
      );
    });
  });

  it.each([
    ['no plugins key with loadOnlyInlinedPlugins true', { loadOnlyInlinedPlugins: true }, "no 'plugins' key"],
    ['an empty plugins list', { plugins: [] }, 'no plugins in list'],
    ['a plugins object', { plugins: { type: 'x' } }, "'plugins' must be an array"],
    ['a plugins string', { plugins: 'x' }, "'plugins' must be an array"],
  ])('C11: a conflist with %s fails to load', async (_, extra, message) => {
    const env = await createFakeEnv();
    const file = await env.writeConfig('10-n.conflist', { cniVersion: '1.0.0', name: 'n', ...extra });
    await expect(loadConfList(file)).rejects.toMatchObject({ code: 'ERR_CNI_CONFIG', message: expect.stringContaining(message) });
  });

  it('C12: plugins from <dir>/<network>/*.conf follow the inlined ones in file name order unless loadOnlyInlinedPlugins', async () => {
    const env = await createFakeEnv();
    const file = await env.writeConfig('10-n.conflist', list('n', 'inline'));
    await env.writeConfig('n/20-c.conf', { type: 'c' });
    await env.writeConfig('n/10-b.conf', { type: 'b' });
    await env.writeConfig('n/15-skip.json', { type: 'notconf' });
    expect(types(await loadConfList(file))).toEqual(['inline', 'b', 'c']);

    const only = await env.writeConfig('20-m.conflist', list('m', 'inline', { loadOnlyInlinedPlugins: true }));
    await env.writeConfig('m/10-b.conf', { type: 'b' });
    expect(types(await loadConfList(only))).toEqual(['inline']);

    const bare = await env.writeConfig('30-bare.conflist', { cniVersion: '1.0.0', name: 'bare' });
    await expect(loadConfList(bare)).rejects.toMatchObject({ code: 'ERR_CNI_CONFIG', message: expect.stringContaining('no plugin configs found') });
    await env.writeConfig('bare/10-x.conf', { type: 'fromdir' });
    expect(types(await loadConfList(bare))).toEqual(['fromdir']);
  });

  it.each([
    ['no type', {}],
    ['an empty type', { type: '' }],
    ['a numeric type', { type: 7 }],
  ])('C13: a plugin with %s fails to load', (_, plugin) => {
    expect(() => parseConfList(JSON.stringify({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'ok' }, plugin] }))).toThrow(
      expect.objectContaining({ code: 'ERR_CNI_CONFIG', message: expect.stringMatching(/'type'.*plugins\.1/) }),
    );
    expect(() => parseConf(JSON.stringify({ cniVersion: '1.0.0', name: 'n', ...plugin }))).toThrow(expect.objectContaining({ code: 'ERR_CNI_CONFIG' }));
  });

  it('C14: one unparsable conflist fails every lookup only in Go mode (skipInvalid: false); by default it is skipped and named', async () => {
    const env = await createFakeEnv();
    const bad = await env.writeConfig('10-bad.conflist', '{"cniVersion":"1.0.0","name":');
    await env.writeConfig('20-good.conflist', list('good', 'x'));
    const strict = await rejectionOf(loadNetworkList(env.confDir, 'good', { skipInvalid: false }));
    expect(strict).toMatchObject({ code: 'ERR_CNI_CONFIG', file: bad });
    expect(types(await loadNetworkList(env.confDir, 'good'))).toEqual(['x']);
    const missing = await rejectionOf(loadNetworkList(env.confDir, 'absent'));
    expect(missing.code).toBe('ERR_CNI_NETWORK_NOT_FOUND');
    expect(missing.message).toContain(bad);
  });
});
