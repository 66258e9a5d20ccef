// User cases about versions: B14, B29, B41, B46 (docs/CONFORMANCE.md).

import { describe, expect, it } from 'vitest';
import { loadNetworkList, parseConfList } from '../../src/index.js';
import { caseWorld, okBody, rejectionOf } from './support.js';

const RT = { containerId: 'ctr1', netns: '/var/run/netns/ns1', ifName: 'eth0' };

describe('version cases', () => {
  it('B14: validation names the plugin, the config version and what it supports; ADD surfaces code 1 typed', async () => {
    const w = await caseWorld();
    await w.config('10-a.conflist', { cniVersion: '1.0.0', name: 'neta', plugins: [{ type: 'newp' }, { type: 'oldp' }] });
    await w.plugin(
      'newp',
      `cat > /dev/null
case "$CNI_COMMAND" in
VERSION) echo '{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}' ;;
ADD) echo ADD newp >> "$TMP/log"; echo '{"cniVersion":"1.0.0","ips":[{"address":"10.88.0.2/16"}]}' ;;
DEL) echo DEL newp >> "$TMP/log" ;;
esac
exit 0`,
    );
    await w.plugin(
      'oldp',
      `cat > /dev/null
case "$CNI_COMMAND" in
VERSION) echo '{"cniVersion":"0.3.1","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1"]}' ;;
ADD) echo ADD oldp >> "$TMP/log"; echo '{"code":1,"msg":"incompatible CNI versions"}'; exit 1 ;;
DEL) echo DEL oldp >> "$TMP/log" ;;
esac
exit 0`,
    );
    const list = await loadNetworkList(w.confDir, 'neta');
    const cni = w.cni();
    const invalid = await rejectionOf(cni.validateNetworkList(list));
    expect(invalid).toMatchObject({ name: 'VersionError', code: 'ERR_CNI_VERSION', cniCode: 1, plugin: 'oldp', network: 'neta' });
    expect(invalid.message).toBe('plugin oldp does not support config version "1.0.0" (it supports 0.1.0, 0.2.0, 0.3.0, 0.3.1)');
    expect(await w.log()).toEqual([]);

    const failed = await rejectionOf(cni.addNetworkList(list, RT));
    expect(failed).toMatchObject({ name: 'PluginReportedError', code: 'ERR_CNI_PLUGIN', cniCode: 1, msg: 'incompatible CNI versions', plugin: 'oldp' });
    // The rollback DEL undoes what newp did.
    expect(await w.log()).toEqual(['ADD newp', 'ADD oldp', 'DEL oldp', 'DEL newp']);
  });

  it.each([
    ['a legacy 0.2.0 answer', '{"cniVersion":"0.2.0"}', { cniVersion: '0.2.0', supportedVersions: ['0.1.0', '0.2.0'] }],
    ['an empty supportedVersions on 0.2.0', '{"cniVersion":"0.2.0","supportedVersions":[]}', { cniVersion: '0.2.0', supportedVersions: ['0.1.0', '0.2.0'] }],
  ])('B14: %s without supportedVersions counts as 0.1.0 and 0.2.0', async (_, answer, info) => {
    const w = await caseWorld();
    await w.plugin('legacy', `cat > /dev/null\necho '${answer}'`);
    expect(await w.cni().getVersionInfo('legacy')).toEqual(info);
    const list = parseConfList('{"cniVersion":"0.3.1","name":"n","plugins":[{"type":"legacy"}]}');
    await expect(w.cni().validateNetworkList(list)).rejects.toMatchObject({ code: 'ERR_CNI_VERSION', plugin: 'legacy' });
  });

  it.each([
    ['a 1.0.0 answer without supportedVersions', '{"cniVersion":"1.0.0"}'],
    ['an answer that is not JSON', 'VERSION 1.0'],
    ['an answer without cniVersion', '{"supportedVersions":["1.0.0"]}'],
  ])('B14: %s is a typed error, not a crash', async (_, answer) => {
    const w = await caseWorld();
    await w.plugin('odd', `cat > /dev/null\necho '${answer}'`);
    const error = await rejectionOf(w.cni().getVersionInfo('odd'));
    expect(['ERR_CNI_VERSION', 'ERR_CNI_PLUGIN_EXEC']).toContain(error['code']);
    expect(error['plugin']).toBe('odd');
  });

  it.each([
    ['a conflist', '10-a.conflist', { name: 'noversion', plugins: [{ type: 'okplug' }] }],
    ['a single .conf', '10-a.conf', { name: 'noversion', type: 'okplug' }],
  ])('B29: %s without cniVersion works for ADD and DEL alike (as 0.1.0), and DEL cleans the cache', async (_, file, config) => {
    const w = await caseWorld();
    await w.config(file, config);
    await w.plugin('okplug', okBody('okplug', { cniVersion: '0.2.0', ip4: { ip: '10.88.0.4/16' } }));
    const list = await loadNetworkList(w.confDir, 'noversion');
    expect(list.cniVersion).toBe('');
    const cni = w.cni();
    expect(await cni.addNetworkList(list, RT)).toEqual({ cniVersion: '0.1.0', ip4: { ip: '10.88.0.4/16' } });
    await cni.delNetworkList(list, RT);
    expect(await w.log()).toEqual(['ADD', 'DEL']);
    expect(Object.keys((await w.json('okplug-DEL.json'))!)).not.toContain('prevResult');
    expect(await w.cacheNames()).toEqual([]);
    // GC and STATUS treat it as 0.1.0 too: no GC or STATUS command is sent.
    await cni.getStatusNetworkList(list);
    await cni.gcNetworkList(list, { validAttachments: [] });
    expect(await w.log()).toEqual(['ADD', 'DEL']);
  });

  it.each(['0.3.1', '0.3.0', '0.2.0', '0.1.0'])('B41: CHECK on a %s config is a typed "not supported" error and runs nothing', async (version) => {
    const w = await caseWorld();
    await w.config('10-a.conflist', { cniVersion: version, name: 'old', plugins: [{ type: 'okplug' }] });
    await w.plugin('okplug', okBody('okplug', { cniVersion: '0.2.0', ip4: { ip: '10.88.0.4/16' } }));
    const list = await loadNetworkList(w.confDir, 'old');
    const cni = w.cni();
    await cni.addNetworkList(list, RT);
    const error = await rejectionOf(cni.checkNetworkList(list, RT));
    expect(error).toMatchObject({ name: 'VersionError', code: 'ERR_CNI_VERSION', command: 'CHECK', network: 'old', cniCode: 1 });
    expect(error.message).toBe(`configuration version "${version}" does not support the CHECK command`);
    // GC and STATUS on such a config are no-ops that resolve.
    await expect(cni.getStatusNetworkList(list)).resolves.toBeUndefined();
    await expect(cni.gcNetworkList(list)).resolves.toBeUndefined();
    expect(await w.log()).toEqual(['ADD']);
  });

  it('B46: VERSION probes of legacy plugins: placeholder env, "unknown CNI_COMMAND", missing supportedVersions', async () => {
    const w = await caseWorld();
    await w.plugin(
      'needenv',
      `input=$(cat)
printf '%s' "$input" > "$TMP/needenv-stdin.json"
if [ -z "$CNI_NETNS" ] || [ -z "$CNI_IFNAME" ] || [ -z "$CNI_PATH" ]; then echo '{"code":4,"msg":"required env variables missing"}'; exit 1; fi
echo '{"cniVersion":"0.3.1","supportedVersions":["0.3.0","0.3.1"]}'`,
    );
    await w.plugin('novercmd', `cat > /dev/null\necho '{"code":4,"msg":"unknown CNI_COMMAND: VERSION"}'\nexit 1`);
    await w.plugin('oldfmt', `cat > /dev/null\necho '{"cniVersion":"0.2.0"}'`);
    const cni = w.cni();
    expect((await cni.getVersionInfo('needenv')).supportedVersions).toEqual(['0.3.0', '0.3.1']);
    expect(await w.json('needenv-stdin.json')).toEqual({ cniVersion: '1.1.0' });
    expect((await cni.getVersionInfo('novercmd')).supportedVersions).toEqual(['0.1.0']);
    expect((await cni.getVersionInfo('oldfmt')).supportedVersions).toEqual(['0.1.0', '0.2.0']);

    const mix = parseConfList('{"cniVersion":"0.3.1","name":"mix","plugins":[{"type":"needenv"},{"type":"oldfmt"}]}');
    const error = await rejectionOf(cni.validateNetworkList(mix));
    expect(error).toMatchObject({ code: 'ERR_CNI_VERSION', plugin: 'oldfmt', network: 'mix' });
    expect(error.message).toContain('plugin oldfmt does not support config version "0.3.1"');

    // Every plugin that fails is named, not only the first.
    const worse = parseConfList('{"cniVersion":"0.3.1","name":"mix","plugins":[{"type":"novercmd"},{"type":"needenv"},{"type":"oldfmt"}]}');
    const both = await rejectionOf<Error & { code: string; errors: { plugin?: string }[] }>(cni.validateNetworkList(worse));
    expect(both.code).toBe('ERR_CNI_MULTIPLE');
    expect(both.errors.map((entry) => entry.plugin)).toEqual(['novercmd', 'oldfmt']);
  });
});
