// User cases about plugin output: B11, B12, B36, B38 (docs/CONFORMANCE.md).

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadNetworkList, parseConfList } from '../../src/index.js';
import { caseWorld, exists, rejectionOf } from './support.js';

const RT = { containerId: 'ctr1', netns: '/var/run/netns/ns1', ifName: 'eth0' };

describe('plugin output cases', () => {
  it.each([
    ['nothing', ''],
    ['only whitespace', 'printf "  \\n\\t\\n"'],
    ['text that is not JSON', 'echo "deleted, bye"'],
    ['a JSON result', `echo '{"cniVersion":"1.0.0"}'`],
  ])('B11: DEL, CHECK, STATUS and GC that exit 0 printing %s succeed', async (_, print) => {
    const w = await caseWorld();
    await w.config('10-a.conflist', { cniVersion: '1.1.0', name: 'neta', plugins: [{ type: 'quiet' }] });
    await w.plugin(
      'quiet',
      `cat > /dev/null
case "$CNI_COMMAND" in
VERSION) echo '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}' ;;
ADD) echo '{"cniVersion":"1.1.0","ips":[{"address":"10.88.0.2/16"}]}' ;;
*) echo "$CNI_COMMAND" >> "$TMP/log"; ${print || ':'} ;;
esac
exit 0`,
    );
    const list = await loadNetworkList(w.confDir, 'neta');
    const cni = w.cni();
    await cni.addNetworkList(list, RT);
    await expect(cni.checkNetworkList(list, RT)).resolves.toBeUndefined();
    await expect(cni.getStatusNetworkList(list)).resolves.toBeUndefined();
    await expect(cni.gcNetworkList(list, { validAttachments: [{ containerId: 'ctr1', ifName: 'eth0' }] })).resolves.toBeUndefined();
    await expect(cni.delNetworkList(list, RT)).resolves.toBeUndefined();
    expect(await w.log()).toEqual(['CHECK', 'STATUS', 'GC', 'DEL']);
    expect(await w.cacheNames()).toEqual([]);
  });

  it.each([
    ['no stdout', '', 'exited with code 0 but printed no result'],
    ['only whitespace', 'printf "\\n  \\n"', 'exited with code 0 but printed no result'],
    ['text that is not JSON', 'echo "ok, configured eth0"', 'printed output that is not JSON: ok, configured eth0'],
    ['half a JSON object', `printf '{"cniVersion":"1.0.0","ips":['`, 'printed output that is not JSON: {"cniVersion":"1.0.0","ips":['],
  ])('B12: an ADD that exits 0 with %s is rejected naming plugin and network, with stdout and stderr', async (_, print, why) => {
    const w = await caseWorld();
    await w.config('10-a.conf', { cniVersion: '1.0.0', name: 'neta', type: 'mute' });
    await w.plugin('mute', `cat > /dev/null\necho "$CNI_COMMAND" >> "$TMP/log"\n[ "$CNI_COMMAND" = ADD ] && { echo "mute: something odd" >&2; ${print || ':'}; }\nexit 0`);
    const list = await loadNetworkList(w.confDir, 'neta');
    const error = await rejectionOf<Error & Record<string, unknown>>(w.cni().addNetworkList(list, RT));
    expect(error).toMatchObject({ name: 'PluginExecError', code: 'ERR_CNI_PLUGIN_EXEC', plugin: 'mute', network: 'neta', command: 'ADD', exitCode: 0 });
    expect(error.message).toContain('plugin type="mute" name="neta" failed (add): ');
    expect(error.message).toContain(why);
    expect(error.message).toContain('stderr: mute: something odd');
    expect(error['stderr']).toBe('mute: something odd\n');
    expect(typeof error['stdout']).toBe('string');
    expect(await exists(w.cacheFile('neta', 'ctr1', 'eth0'))).toBe(false);
    // The default rollback DELs the half-made attachment.
    expect(await w.log()).toEqual(['ADD', 'DEL']);
  });

  it.each([
    ['a JSON array', '[]', 'expected a result object, got an array'],
    ['a JSON string', '"done"', 'expected a result object, got string'],
    ['a result with a malformed field', '{"cniVersion":"1.0.0","ips":[{"address":"10.88.0.2"}]}', 'invalid 1.0.0 result'],
  ])('B12: an ADD printing %s is rejected with a result error naming plugin and network', async (_, output, why) => {
    const w = await caseWorld();
    await w.plugin('mute', `cat > /dev/null\n[ "$CNI_COMMAND" = ADD ] && echo '${output}'\nexit 0`);
    const list = parseConfList('{"cniVersion":"1.0.0","name":"neta","type":"mute"}');
    const error = await rejectionOf(w.cni().addNetworkList(list, RT));
    expect(error).toMatchObject({ code: 'ERR_CNI_RESULT', plugin: 'mute', network: 'neta', command: 'ADD' });
    expect(error.message).toContain(`plugin type="mute" name="neta" failed (add): ${why}`);
    expect(await w.cacheNames()).toEqual([]);
  });

  it.each([
    ['no cniVersion', '{"interfaces":[{"name":"eth0","sandbox":"/var/run/netns/ns1"}],"ips":[{"address":"10.88.0.14/16","interface":0}]}'],
    ['an empty cniVersion', '{"cniVersion":"","interfaces":[{"name":"eth0","sandbox":"/var/run/netns/ns1"}],"ips":[{"address":"10.88.0.14/16","interface":0}]}'],
    ['a non-string cniVersion', '{"cniVersion":1,"interfaces":[{"name":"eth0","sandbox":"/var/run/netns/ns1"}],"ips":[{"address":"10.88.0.14/16","interface":0}]}'],
  ])('B36: a result with %s is read in the config version, cached so, and passed to DEL', async (_, output) => {
    const w = await caseWorld();
    await w.config('10-a.conflist', { cniVersion: '1.0.0', name: 'neta', plugins: [{ type: 'nover' }] });
    await w.plugin('nover', `input=$(cat)\n[ "$CNI_COMMAND" = ADD ] && echo '${output}'\n[ "$CNI_COMMAND" = DEL ] && printf '%s' "$input" > "$TMP/del.json"\nexit 0`);
    const list = await loadNetworkList(w.confDir, 'neta');
    const cni = w.cni();
    const expected = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: '/var/run/netns/ns1' }], ips: [{ address: '10.88.0.14/16', interface: 0 }] };
    const result = await cni.addNetworkList(list, RT);
    expect(result).toEqual(expected);
    const cached = JSON.parse(await readFile(w.cacheFile('neta', 'ctr1', 'eth0'), 'utf8')) as { result: unknown };
    expect(cached.result).toEqual(expected);
    await cni.delNetworkList(list, RT);
    expect((await w.json('del.json'))!['prevResult']).toEqual(expected);
  });

  it('B36: a result that says "0.2.0" is taken at face value and converted to the config version', async () => {
    const w = await caseWorld();
    await w.plugin('nover', `cat > /dev/null\n[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"0.2.0","ip4":{"ip":"10.88.0.14/16","gateway":"10.88.0.1"}}'\nexit 0`);
    const list = parseConfList('{"cniVersion":"1.0.0","name":"neta","plugins":[{"type":"nover"}]}');
    expect(await w.cni().addNetworkList(list, RT)).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.88.0.14/16', gateway: '10.88.0.1' }] });
  });

  it.each([
    ['a newer IP-less result', '{"cniVersion":"0.3.1","interfaces":[{"name":"lo","sandbox":"/var/run/netns/ns1"}],"dns":{}}', '0.2.0', { cniVersion: '0.2.0', dns: {} }],
    ['an IP-less result in the config version', '{"cniVersion":"0.2.0","dns":{}}', '0.2.0', { cniVersion: '0.2.0', dns: {} }],
    ['an IP-less 1.1.0 result to 0.1.0', '{"cniVersion":"1.1.0","interfaces":[{"name":"lo","mtu":65536}]}', '0.1.0', { cniVersion: '0.1.0' }],
    ['an IP-less 1.0.0 result to 0.4.0', '{"cniVersion":"1.0.0","interfaces":[{"name":"lo"}]}', '0.4.0', { cniVersion: '0.4.0', interfaces: [{ name: 'lo' }] }],
    ['a result with only IPv6 to 0.2.0', '{"cniVersion":"1.0.0","ips":[{"address":"::1/128"}]}', '0.2.0', { cniVersion: '0.2.0', ip6: { ip: '::1/128' } }],
  ])('B38: %s converts down without failing ADD', async (_, output, version, expected) => {
    const w = await caseWorld();
    await w.config('99-lo.conf', { cniVersion: version, name: 'lo', type: 'loopy' });
    await w.plugin('loopy', `cat > /dev/null\necho "$CNI_COMMAND" >> "$TMP/log"\n[ "$CNI_COMMAND" = ADD ] && echo '${output}'\nexit 0`);
    const list = await loadNetworkList(w.confDir, 'lo');
    const cni = w.cni();
    expect(await cni.addNetworkList(list, { ...RT, ifName: 'lo' })).toEqual(expected);
    await cni.delNetworkList(list, { ...RT, ifName: 'lo' });
    expect(await w.log()).toEqual(['ADD', 'DEL']);
    expect(await w.cacheNames()).toEqual([]);
  });
});
