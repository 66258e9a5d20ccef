// User cases about GC and STATUS: B15, B23 (docs/CONFORMANCE.md).

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { loadNetworkList, parseConfList, type ValidAttachment } from '../../src/index.js';
import { caseWorld, rejectionOf } from './support.js';

const GCDUMP = `input=$(cat)
case "$CNI_COMMAND" in
VERSION) echo '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}' ;;
GC) printf '%s' "$input" > "$TMP/gc.json" ;;
esac
exit 0`;

describe('GC and STATUS cases', () => {
  it.each<[string, ValidAttachment[]]>([
    ['two attachments', [{ containerId: 'ctr1', ifName: 'eth0' }, { containerId: 'ctr2', ifName: 'net1' }]],
    ['one attachment', [{ containerId: 'a.b_c-1', ifName: 'eth0' }]],
    ['an empty list', []],
  ])('B15: GC sends %s under cni.dev/valid-attachments and cni.dev/attachments, with the list name and version', async (_, valid) => {
    const w = await caseWorld();
    await w.config('10-a.conflist', { cniVersion: '1.1.0', name: 'neta', plugins: [{ type: 'gcdump', extra: { keep: true } }] });
    await w.plugin('gcdump', GCDUMP);
    await w.cni().gcNetworkList(await loadNetworkList(w.confDir, 'neta'), { validAttachments: valid });
    const wire = valid.map((entry) => ({ containerID: entry.containerId, ifname: entry.ifName }));
    expect(await w.json('gc.json')).toEqual({
      type: 'gcdump',
      extra: { keep: true },
      name: 'neta',
      cniVersion: '1.1.0',
      'cni.dev/valid-attachments': wire,
      'cni.dev/attachments': wire,
    });
  });

  it('B15: without a list of valid attachments (unknown, not empty) the keys are absent and nothing cached is deleted', async () => {
    const w = await caseWorld();
    await w.plugin('gcdump', GCDUMP.replace('exit 0', `[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"1.1.0"}'\nexit 0`));
    const list = parseConfList('{"cniVersion":"1.1.0","name":"neta","plugins":[{"type":"gcdump"}]}');
    const cni = w.cni();
    await cni.addNetworkList(list, { containerId: 'ctr1', netns: '/var/run/netns/ns1', ifName: 'eth0' });
    await cni.gcNetworkList(list);
    expect(Object.keys((await w.json('gc.json'))!).sort()).toEqual(['cniVersion', 'name', 'type']);
    expect(await w.cacheNames()).toEqual(['neta-ctr1-eth0']);
  });

  async function statusWorld() {
    const w = await caseWorld();
    await w.config('10-old.conflist', { cniVersion: '0.4.0', name: 'oldnet', plugins: [{ type: 'nostatus' }] });
    await w.config('20-new.conflist', { cniVersion: '1.1.0', name: 'newnet', plugins: [{ type: 'notready' }] });
    await w.plugin(
      'nostatus',
      `cat > /dev/null
echo "$CNI_COMMAND" >> "$TMP/log"
[ "$CNI_COMMAND" = VERSION ] && { echo '{"cniVersion":"0.4.0","supportedVersions":["0.3.1","0.4.0"]}'; exit 0; }
[ "$CNI_COMMAND" = STATUS ] && { echo '{"code":4,"msg":"unknown CNI_COMMAND"}'; exit 1; }
exit 0`,
    );
    await w.plugin(
      'notready',
      `cat > /dev/null
[ "$CNI_COMMAND" = VERSION ] && { echo '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}'; exit 0; }
[ -f "$TMP/slow" ] && sleep 0.5
[ "$CNI_COMMAND" = STATUS ] && [ ! -f "$TMP/ready" ] && { echo '{"cniVersion":"1.1.0","code":50,"msg":"agent not connected"}'; exit 1; }
[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"1.1.0"}'
exit 0`,
    );
    return { w, oldnet: await loadNetworkList(w.confDir, 'oldnet'), newnet: await loadNetworkList(w.confDir, 'newnet') };
  }

  it('B23: STATUS skips a pre-1.1.0 config, reports code 50 typed for a 1.1.0 one, and the caller-side aggregate names newnet', async () => {
    const { w, oldnet, newnet } = await statusWorld();
    const cni = w.cni();
    await expect(cni.getStatusNetworkList(oldnet)).resolves.toBeUndefined();
    expect(await w.log()).toEqual([]);
    const error = await rejectionOf(cni.getStatusNetworkList(newnet));
    expect(error).toMatchObject({ name: 'PluginReportedError', code: 'ERR_CNI_PLUGIN', cniCode: 50, msg: 'agent not connected', network: 'newnet', plugin: 'notready', command: 'STATUS' });

    // Aggregate over every network: ready only if all are; each failure names its network.
    const outcomes = await Promise.allSettled([oldnet, newnet].map((list) => cni.getStatusNetworkList(list)));
    const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as { network: string; cniCode: number }] : []));
    expect(failures.map((failure) => [failure.network, failure.cniCode])).toEqual([['newnet', 50]]);
    expect(await w.log()).toEqual([]);
  });

  it('B23: a code 51 answer is kept as 51, and STATUS turns ready once the plugin says so', async () => {
    const { w, newnet } = await statusWorld();
    await w.plugin('notready', `cat > /dev/null\n[ "$CNI_COMMAND" = VERSION ] && { echo '{"cniVersion":"1.1.0","supportedVersions":["1.1.0"]}'; exit 0; }\n[ -f "$TMP/ready" ] && exit 0\necho '{"code":51,"msg":"limited connectivity"}'\nexit 1`);
    const cni = w.cni();
    await expect(cni.getStatusNetworkList(newnet)).rejects.toMatchObject({ cniCode: 51, msg: 'limited connectivity' });
    await writeFile(path.join(w.tmp, 'ready'), '');
    await expect(cni.getStatusNetworkList(newnet)).resolves.toBeUndefined();
  });

  it('B23: STATUS during an ADD in flight on the same network, or from its stderr callback, does not deadlock', async () => {
    const { w, newnet } = await statusWorld();
    await writeFile(path.join(w.tmp, 'slow'), '');
    await writeFile(path.join(w.tmp, 'ready'), '');
    const statuses: Promise<void>[] = [];
    const cni = w.cni({ onStderr: () => statuses.push(cni.getStatusNetworkList(newnet, { timeout: 5_000 })) });
    await w.plugin('chatty', `cat > /dev/null\necho "chatty says hi" >&2\n[ "$CNI_COMMAND" = VERSION ] && { echo '{"cniVersion":"1.1.0","supportedVersions":["1.1.0"]}'; exit 0; }\n[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"1.1.0"}'\nexit 0`);
    const chatty = parseConfList('{"cniVersion":"1.1.0","name":"newnet","plugins":[{"type":"chatty"},{"type":"notready"}]}');
    const adding = cni.addNetworkList(chatty, { containerId: 'ctr1', netns: '/var/run/netns/ns1', ifName: 'eth0' });
    await sleep(100);
    const started = Date.now();
    await cni.getStatusNetworkList(newnet, { timeout: 5_000 });
    expect(Date.now() - started).toBeLessThan(3_000);
    await adding;
    await Promise.all(statuses);
    expect(statuses.length).toBeGreaterThan(0);
  });
});
