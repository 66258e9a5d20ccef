// User cases about hung plugins and parallel work: B06, B07, B10, B33 (docs/CONFORMANCE.md).

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { loadNetworkList, parseConfList, watchNetworks } from '../../src/index.js';
import { waitForExit } from '../helpers/processes.js';
import { caseWorld, exists, okBody, rejectionOf, type CaseWorld } from './support.js';

// Hangs on every command but VERSION, after appending its PID to $TMP/hang.pid.
const HANG = `cat > /dev/null
if [ "$CNI_COMMAND" = VERSION ]; then echo '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}'; exit 0; fi
echo $$ >> "$TMP/hang.pid"
exec sleep 3600`;

async function pids(w: CaseWorld): Promise<number[]> {
  const text = await readFile(path.join(w.tmp, 'hang.pid'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map(Number);
}

const RT = { containerId: 'ctr1', netns: '/var/run/netns/ns1', ifName: 'eth0' };

async function hangWorld() {
  const w = await caseWorld();
  await w.config('10-a.conflist', { cniVersion: '1.0.0', name: 'neta', plugins: [{ type: 'hang' }] });
  await w.plugin('hang', HANG);
  return { w, list: await loadNetworkList(w.confDir, 'neta') };
}

describe('timeout and concurrency cases', () => {
  it('B06: a 500 ms timeout ends a hung ADD, kills the plugin, caches nothing and does not block the next ADD', async () => {
    const { w, list } = await hangWorld();
    // The rollback DEL hangs too; cleanupTimeout bounds it (see the documented choice).
    const cni = w.cni({ killGrace: 200, cleanupTimeout: 500 });
    const started = Date.now();
    const error = await rejectionOf<Error & Record<string, unknown>>(cni.addNetworkList(list, RT, { timeout: 500 }));
    const took = Date.now() - started;
    expect(error).toMatchObject({ name: 'TimeoutError', code: 'ERR_CNI_TIMEOUT', plugin: 'hang', network: 'neta', command: 'ADD' });
    expect(error['rollback']).toMatchObject({ ok: false });
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(2_500);
    const [addPid, delPid] = await pids(w);
    for (const pid of [addPid!, delPid!]) expect(await waitForExit(pid, 2_000)).toBe(true);
    expect(await exists(w.cacheFile('neta', 'ctr1', 'eth0'))).toBe(false);

    // The next ADD of the same attachment is not held up: its own plugin runs (and times out).
    const again = await rejectionOf(cni.addNetworkList(list, RT, { timeout: 500 }));
    expect(again['code']).toBe('ERR_CNI_TIMEOUT');
    expect((await pids(w)).length).toBe(4);
  });

  it('B06: without rollback the rejection comes right after the deadline', async () => {
    const { w, list } = await hangWorld();
    const started = Date.now();
    await expect(w.cni({ killGrace: 200, rollbackOnFailure: false }).addNetworkList(list, RT, { timeout: 500 })).rejects.toMatchObject({ code: 'ERR_CNI_TIMEOUT', plugin: 'hang' });
    expect(Date.now() - started).toBeLessThan(1_500);
    const [pid] = await pids(w);
    expect(await waitForExit(pid!, 2_000)).toBe(true);
  });

  it('B06: an AbortSignal ends a hung ADD the same way, as ERR_CNI_ABORTED', async () => {
    const { w, list } = await hangWorld();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('pod deleted')), 300);
    const error = await rejectionOf(w.cni({ killGrace: 200, rollbackOnFailure: false }).addNetworkList(list, RT, { signal: controller.signal }));
    expect(error).toMatchObject({ code: 'ERR_CNI_ABORTED', plugin: 'hang' });
    expect(await waitForExit((await pids(w))[0]!, 2_000)).toBe(true);
  });

  it('B06: a plugin that ignores SIGTERM is SIGKILLed after killGrace', async () => {
    const w = await caseWorld();
    await w.plugin('deaf', `trap '' TERM\ncat > /dev/null\necho $$ >> "$TMP/hang.pid"\nwhile :; do sleep 1; done`);
    const list = parseConfList('{"cniVersion":"1.0.0","name":"neta","plugins":[{"type":"deaf"}]}');
    const started = Date.now();
    await expect(w.cni({ killGrace: 300, rollbackOnFailure: false }).addNetworkList(list, RT, { timeout: 300 })).rejects.toMatchObject({ code: 'ERR_CNI_TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(await waitForExit((await pids(w))[0]!, 2_000)).toBe(true);
  });

  it('B06: with default options a plugin hung only in ADD is killed at the deadline and rolled back at once', async () => {
    const w = await caseWorld();
    await w.plugin('addhang', `cat > /dev/null\necho "$CNI_COMMAND" >> "$TMP/log"\n[ "$CNI_COMMAND" = ADD ] && { echo $$ >> "$TMP/hang.pid"; exec sleep 3600; }\nexit 0`);
    const list = parseConfList('{"cniVersion":"1.0.0","name":"neta","plugins":[{"type":"addhang"}]}');
    const started = Date.now();
    const error = await rejectionOf(w.cni().addNetworkList(list, RT, { timeout: 500 }));
    expect(error).toMatchObject({ code: 'ERR_CNI_TIMEOUT', rollback: { ok: true } });
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(await w.log()).toEqual(['ADD', 'DEL']);
    expect(await w.cacheNames()).toEqual([]);
  });

  it('B07: a hung ADD holds only its own attachment: readiness, other networks and STATUS answer at once', async () => {
    const w = await caseWorld();
    await w.config('10-a.conflist', { cniVersion: '1.1.0', name: 'neta', plugins: [{ type: 'hang' }] });
    await w.config('20-b.conflist', { cniVersion: '1.1.0', name: 'netb', plugins: [{ type: 'okplug' }] });
    await w.plugin('hang', HANG);
    await w.plugin('okplug', okBody('okplug', { cniVersion: '1.1.0', ips: [{ address: '10.89.0.2/16' }] }));
    await using networks = await watchNetworks({ confDir: w.confDir, path: [w.bin], persistent: false, rescanInterval: 0 });
    const neta = networks.network('neta')!.list;
    const netb = networks.network('netb')!.list;
    const cni = w.cni({ killGrace: 200, rollbackOnFailure: false });
    const stop = new AbortController();
    const hung = rejectionOf(cni.addNetworkList(neta, RT, { signal: stop.signal }));
    await sleep(50);

    let started = Date.now();
    expect(networks.status()).toEqual({ ready: true, reasons: [] });
    expect(networks.defaultNetwork?.name).toBe('neta');
    expect(Date.now() - started).toBeLessThan(100);
    started = Date.now();
    await cni.getStatusNetworkList(netb);
    expect(await cni.addNetworkList(netb, { containerId: 'ctr2', netns: '/var/run/netns/ns2', ifName: 'eth0' })).toEqual({ cniVersion: '1.1.0', ips: [{ address: '10.89.0.2/16' }] });
    // The same container on another attachment is not held up either.
    expect(await cni.addNetworkList(netb, { ...RT, ifName: 'net1' })).toBeDefined();
    expect(Date.now() - started).toBeLessThan(2_000);

    // The same attachment waits, and gives up with its own distinct error.
    for (const call of [() => cni.addNetworkList(neta, RT, { timeout: 200 }), () => cni.delNetworkList(neta, RT, { timeout: 200 })]) {
      const error = await rejectionOf(call());
      expect(error).toMatchObject({ name: 'LockTimeoutError', code: 'ERR_CNI_LOCK_TIMEOUT' });
    }
    stop.abort();
    expect((await hung)['code']).toBe('ERR_CNI_ABORTED');
    expect(await waitForExit((await pids(w))[0]!, 2_000)).toBe(true);
  });

  it('B10: parallel ADDs on two networks never mix their results, runs or cache entries (50 rounds)', async () => {
    const w = await caseWorld();
    await w.config('10-a.conflist', { cniVersion: '1.0.0', name: 'neta', plugins: [{ type: 'okA' }] });
    await w.config('20-b.conflist', { cniVersion: '1.0.0', name: 'netb', plugins: [{ type: 'okB' }] });
    const body = (name: string, address: string) =>
      `cat > /dev/null\necho "$CNI_COMMAND ${name} $CNI_IFNAME" >> "$TMP/log"\n[ "$CNI_COMMAND" = ADD ] && { sleep 0.1; echo '{"cniVersion":"1.0.0","ips":[{"address":"${address}"}]}'; }\nexit 0`;
    await w.plugin('okA', body('okA', '10.88.0.2/16'));
    await w.plugin('okB', body('okB', '10.89.0.2/16'));
    const [neta, netb] = [await loadNetworkList(w.confDir, 'neta'), await loadNetworkList(w.confDir, 'netb')];
    for (let round = 0; round < 50; round++) {
      const cni = w.cni();
      const [a, b] = await Promise.all([
        cni.addNetworkList(neta, { containerId: 'ctr1', netns: '/var/run/netns/ns1', ifName: 'eth0' }),
        cni.addNetworkList(netb, { containerId: 'ctr1', netns: '/var/run/netns/ns1', ifName: 'net1' }),
      ]);
      expect(a).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.88.0.2/16' }] });
      expect(b).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.89.0.2/16' }] });
      expect(await w.cacheNames()).toEqual(['neta-ctr1-eth0', 'netb-ctr1-net1']);
      const cached = JSON.parse(await readFile(w.cacheFile('netb', 'ctr1', 'net1'), 'utf8')) as Record<string, unknown>;
      expect(cached).toMatchObject({ networkName: 'netb', ifName: 'net1', result: b });
      await cni.detachNetworks({ containerId: 'ctr1', netns: '/var/run/netns/ns1' });
    }
    const lines = await w.log();
    expect(lines.filter((line) => line === 'ADD okA eth0')).toHaveLength(50);
    expect(lines.filter((line) => line === 'ADD okB net1')).toHaveLength(50);
    expect(lines.filter((line) => line.startsWith('ADD')).length).toBe(100);
    expect(new Set(lines)).toEqual(new Set(['ADD okA eth0', 'ADD okB net1', 'DEL okA eth0', 'DEL okB net1']));
  });

  it('B10: attachNetworks pairs each result with its own network and interface', async () => {
    const w = await caseWorld();
    const body = (address: string) => `cat > /dev/null\n[ "$CNI_COMMAND" = ADD ] && { sleep 0.05; echo '{"cniVersion":"1.0.0","ips":[{"address":"${address}"}]}'; }\nexit 0`;
    await w.plugin('okA', body('10.88.0.2/16'));
    await w.plugin('okB', body('10.89.0.2/16'));
    const neta = parseConfList('{"cniVersion":"1.0.0","name":"neta","plugins":[{"type":"okA"}]}');
    const netb = parseConfList('{"cniVersion":"1.0.0","name":"netb","plugins":[{"type":"okB"}]}');
    for (let round = 0; round < 10; round++) {
      const attached = await w.cni().attachNetworks({ containerId: `ctr${round}`, netns: '/var/run/netns/ns1' }, [
        { list: netb, ifName: 'net1' },
        { list: neta, ifName: 'eth0' },
      ]);
      const byNetwork = Object.fromEntries(attached.map((entry) => [entry.network, [entry.ifName, (entry.result as { ips: { address: string }[] }).ips[0]!.address]]));
      expect(byNetwork).toEqual({ neta: ['eth0', '10.88.0.2/16'], netb: ['net1', '10.89.0.2/16'] });
    }
  });

  it('B33: GC called while an ADD is in flight waits for it, then DELs it as told: ADD, DEL, GC never overlap', async () => {
    const w = await caseWorld();
    await w.config('10-a.conflist', { cniVersion: '1.1.0', name: 'neta', plugins: [{ type: 'slowadd' }] });
    await w.plugin(
      'slowadd',
      `cat > /dev/null
case "$CNI_COMMAND" in
VERSION) echo '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}' ;;
ADD) echo "ADD start $CNI_CONTAINERID" >> "$TMP/log"; sleep 0.5; echo "ADD end $CNI_CONTAINERID" >> "$TMP/log"; echo '{"cniVersion":"1.1.0","ips":[{"address":"10.88.0.7/16"}]}' ;;
DEL) echo "DEL $CNI_CONTAINERID" >> "$TMP/log" ;;
GC) echo GC >> "$TMP/log"; [ -f "$TMP/slowgc" ] && sleep 0.5; echo "GC end" >> "$TMP/log" ;;
esac
exit 0`,
    );
    const list = await loadNetworkList(w.confDir, 'neta');
    const cni = w.cni();
    const adding = cni.addNetworkList(list, { containerId: 'ctr7', netns: '/var/run/netns/ns7', ifName: 'eth0' });
    await sleep(100);
    await cni.gcNetworkList(list, { validAttachments: [] });
    await adding;
    expect(await w.log()).toEqual(['ADD start ctr7', 'ADD end ctr7', 'DEL ctr7', 'GC', 'GC end']);
    expect(await w.cacheNames()).toEqual([]);
  });

  it('B33: an ADD arriving while GC runs waits until GC is done, and GC from another instance is excluded too', async () => {
    const w = await caseWorld();
    await w.plugin(
      'slowadd',
      `cat > /dev/null
case "$CNI_COMMAND" in
VERSION) echo '{"cniVersion":"1.1.0","supportedVersions":["1.1.0"]}' ;;
ADD) echo "ADD $CNI_CONTAINERID" >> "$TMP/log"; echo '{"cniVersion":"1.1.0"}' ;;
DEL) echo "DEL $CNI_CONTAINERID" >> "$TMP/log" ;;
GC) echo GC >> "$TMP/log"; sleep 0.5; echo "GC end" >> "$TMP/log" ;;
esac
exit 0`,
    );
    const list = parseConfList('{"cniVersion":"1.1.0","name":"neta","plugins":[{"type":"slowadd"}]}');
    const collecting = w.cni().gcNetworkList(list, { validAttachments: [] });
    await sleep(150);
    // Another CNI instance (as another process would) shares the lock files under the cache dir.
    await w.cni().addNetworkList(list, { containerId: 'ctr8', netns: '/var/run/netns/ns8', ifName: 'eth0' });
    await collecting;
    expect(await w.log()).toEqual(['GC', 'GC end', 'ADD ctr8']);
    expect(await w.cacheNames()).toEqual(['neta-ctr8-eth0']);
  });
});
