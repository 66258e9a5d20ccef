// Differential tests of the result cache: a container added through the Go reference library can
// be deleted through ours and back, and both write the same cache file for the same ADD.

import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_VERSIONS, compareVersions, loadConfList } from '../../src/index.js';
import { RECORD_PLUGIN, skipWithoutReference, useGoReference, type Rt, type Run } from './harness.js';

const NETWORK = 'cachenet';

const PLUGINS = [
  `{"type": "${RECORD_PLUGIN}", "tag": "c0", "capabilities": {"portMappings": true}, "big": 12345678901234567890, "html": "<a&b>"}`,
  `{"type": "${RECORD_PLUGIN}", "tag": "c1", "capabilities": {"bandwidth": true}}`,
];

const rt: Rt = {
  containerId: 'ctr-cache',
  netns: '/var/run/netns/cache',
  ifName: 'eth0',
  args: [['IgnoreUnknown', '1'], ['K8S_POD_NAME', 'db-0']],
  capabilityArgs: { portMappings: [{ hostPort: 5432, containerPort: 5432, protocol: 'tcp' }], bandwidth: { egressRate: 10 }, unused: true },
};
/** The same attachment as the DEL caller sees it later: no capability args or CNI_ARGS at hand. */
const rtAtDel: Rt = { containerId: rt.containerId, netns: rt.netns!, ifName: rt.ifName };

function conflist(version: string): string {
  return `{\n  "cniVersion": "${version}",\n  "name": "${NETWORK}",\n  "plugins": [\n    ${PLUGINS.join(',\n    ')}\n  ]\n}\n`;
}

function resultOf(version: string): Record<string, unknown> {
  const dns = { nameservers: ['10.0.0.53'] };
  if (compareVersions(version, '0.3.0') < 0) return { cniVersion: version, ip4: { ip: '10.2.0.5/24', gateway: '10.2.0.1' }, dns };
  const ip = { address: '10.2.0.5/24', gateway: '10.2.0.1', interface: 0 };
  return {
    cniVersion: version,
    interfaces: [{ name: 'eth0', sandbox: '/var/run/netns/cache' }],
    ips: [compareVersions(version, '1.0.0') < 0 ? { version: '4', ...ip } : ip],
    dns,
  };
}

type Entry = Record<string, unknown>;

async function readEntry(file: string): Promise<Entry> {
  return JSON.parse(await readFile(file, 'utf8')) as Entry;
}

function expectOk(run: Run, what: string): void {
  expect(run.outcome, what).toMatchObject({ ok: true });
}

describe.skipIf(skipWithoutReference)('result cache: Go libcni vs ours', () => {
  const ref = useGoReference();


  /** What the plugins answer: a 1.1.0 list gets 1.0.0 results when the reference cannot read 1.1.0. */
  function replyVersion(version: string): string {
    return ref.legacy && version === '1.1.0' ? '1.0.0' : version;
  }

  /**
   * Compares the two cache files of the same ADD field by field. `config` and `netns` may differ
   * in known ways; everything else must be equal.
   */
  function expectSameEntry(go: Entry, ours: Entry, text: string, options: { conf?: boolean; attachment: Rt }): void {
    const { attachment } = options;
    for (const entry of [go, ours]) {
      expect(entry['kind']).toBe('cniCacheV1');
      expect(entry['containerId']).toBe(attachment.containerId);
      expect(entry['ifName']).toBe(attachment.ifName);
      expect(entry['networkName']).toBe(NETWORK);
    }
    for (const field of ['kind', 'containerId', 'ifName', 'networkName', 'cniArgs', 'capabilityArgs', 'result']) {
      expect(ours[field], field).toEqual(go[field]);
    }
    expect('cniArgs' in ours).toBe((attachment.args ?? []).length > 0);
    expect('capabilityArgs' in ours).toBe(Object.keys(attachment.capabilityArgs ?? {}).length > 0);

    // config: base64 of the list's bytes. For a .conflist both store the file exactly.
    const ourConfig = Buffer.from(ours['config'] as string, 'base64').toString('utf8');
    const goConfig = Buffer.from(go['config'] as string, 'base64').toString('utf8');
    expect(ourConfig).toBe(text);
    if (options.conf) {
      // A .conf: Go stores the list it up-converted the file to (re-encoded); we store the file.
      const plugin = JSON.parse(text) as { name: string; cniVersion: string };
      expect(JSON.parse(goConfig)).toEqual({ cniVersion: plugin.cniVersion, name: plugin.name, plugins: [plugin] });
    } else {
      expect(ours['config']).toBe(go['config']);
    }

    // netns: this reference predates the field (libcni 1.2 added it); we write it.
    expect(ours['netns']).toBe(attachment.netns);
    if (ref.legacy) expect('netns' in go).toBe(false);
    else expect(go['netns']).toBe(attachment.netns);

    const known = ['kind', 'containerId', 'config', 'ifName', 'networkName', 'netns', 'cniArgs', 'capabilityArgs', 'result'];
    expect(Object.keys(ours).filter((key) => !known.includes(key))).toEqual([]);
    expect(Object.keys(go).filter((key) => !known.includes(key))).toEqual([]);
  }

  describe.each(ALL_VERSIONS)('list version %s', (version) => {
    it('ADD writes the same cache file in both libraries', async () => {
      const world = await ref.newWorld();
      const text = conflist(version);
      const file = await world.config('10-cache.conflist', text);
      const replies = [resultOf(replyVersion(version)), resultOf(replyVersion(version))];
      expectOk(await world.go('add', file, rt, { replies }), 'Go ADD');
      expectOk(await world.ours('add', file, rt, { replies }), 'our ADD');
      const goFile = world.cacheFile(world.goCache, NETWORK, rt);
      const ourFile = world.cacheFile(world.ourCache, NETWORK, rt);
      const [go, ours] = [await readEntry(goFile), await readEntry(ourFile)];
      if (version === '1.1.0' && ref.legacy) {
        // We cache the result in the list version; this reference, the version the plugin wrote.
        expect((go['result'] as Entry)['cniVersion']).toBe('1.0.0');
        expect(ours['result']).toEqual({ ...(go['result'] as Entry), cniVersion: '1.1.0' });
        expectSameEntry({ ...go, result: ours['result'] }, ours, text, { attachment: rt });
      } else {
        expectSameEntry(go, ours, text, { attachment: rt });
      }
      for (const one of [goFile, ourFile]) {
        expect((await stat(one)).mode & 0o777).toBe(0o600);
        expect((await stat(path.dirname(one))).mode & 0o777).toBe(0o700);
      }
    });

    it('Go ADD, then our DEL: ours reads Go\'s cache file as prevResult, replays its arguments, removes it', async () => {
      const world = await ref.newWorld();
      const file = await world.config('10-cache.conflist', conflist(version));
      const replies = [resultOf(replyVersion(version)), resultOf(replyVersion(version))];
      expectOk(await world.go('add', file, rt, { replies }), 'Go ADD');
      const goFile = world.cacheFile(world.goCache, NETWORK, rt);
      const cached = await readEntry(goFile);

      const ourCached = await world.oursCall('cached', { cacheDir: world.goCache }, async (cni) =>
        cni.getNetworkListCachedResult(await loadConfList(file), rtAtDel),
      );
      expect(ourCached.outcome).toEqual({ ok: true, result: { ...(cached['result'] as Entry), cniVersion: version } });

      const del = await world.ours('del', file, rtAtDel, { cacheDir: world.goCache });
      expectOk(del, 'our DEL');
      expect(del.received.map((r) => r.json['tag'])).toEqual(['c1', 'c0']);
      for (const received of del.received) {
        // On purpose: CNI_ARGS and capability args come from the cache entry Go wrote at ADD.
        expect(received.env['CNI_ARGS']).toBe('IgnoreUnknown=1;K8S_POD_NAME=db-0');
        const capability = received.json['tag'] === 'c0' ? 'portMappings' : 'bandwidth';
        expect(received.json['runtimeConfig']).toEqual({ [capability]: rt.capabilityArgs![capability] });
        if (compareVersions(version, '0.4.0') >= 0) {
          expect(received.json['prevResult']).toEqual({ ...(cached['result'] as Entry), cniVersion: version });
        } else {
          expect('prevResult' in received.json).toBe(false);
        }
      }
      await expect(stat(goFile)).rejects.toThrow(/ENOENT/);
    });

    it('our ADD, then Go DEL: Go reads our cache file as prevResult and removes it', async () => {
      const world = await ref.newWorld();
      const file = await world.config('10-cache.conflist', conflist(version));
      const replies = [resultOf(version), resultOf(version)];
      const add = await world.ours('add', file, rt, { replies });
      expectOk(add, 'our ADD');
      const ourFile = world.cacheFile(world.ourCache, NETWORK, rt);
      const cached = await readEntry(ourFile);
      expect(cached['result']).toEqual(resultOf(version));

      const goCached = await world.go('cached', file, rtAtDel, { cacheDir: world.ourCache });
      const del = await world.go('del', file, rt, { cacheDir: world.ourCache });
      if (ref.legacy && version === '1.1.0') {
        // This reference cannot read a 1.1.0 result, so it refuses to DEL and keeps the file.
        expect(goCached.outcome).toMatchObject({ ok: false, error: expect.stringMatching(/unsupported CNI result version "1\.1\.0"/) });
        expect(del.outcome).toMatchObject({ ok: false, error: expect.stringMatching(/unsupported CNI result version "1\.1\.0"/) });
        expect(del.received).toEqual([]);
        await expect(stat(ourFile)).resolves.toBeTruthy();
        return;
      }
      expect(goCached.outcome).toEqual({ ok: true, result: resultOf(version) });
      expectOk(del, 'Go DEL');
      expect(del.received.map((r) => r.json['tag'])).toEqual(['c1', 'c0']);
      for (const received of del.received) {
        expect(received.env['CNI_ARGS']).toBe('IgnoreUnknown=1;K8S_POD_NAME=db-0');
        if (compareVersions(version, '0.4.0') >= 0) expect(received.json['prevResult']).toEqual(resultOf(version));
        else expect('prevResult' in received.json).toBe(false);
      }
      await expect(stat(ourFile)).rejects.toThrow(/ENOENT/);
    });
  });

  it('a .conf network: same entry except config, where Go stores the up-converted list', async () => {
    const world = await ref.newWorld();
    const text = `{"cniVersion": "0.4.0", "name": "${NETWORK}", "type": "${RECORD_PLUGIN}", "big": 12345678901234567890, "html": "<a&b>"}\n`;
    const file = await world.config('20-single.conf', text);
    const replies = [resultOf('0.4.0')];
    const attachment: Rt = { containerId: 'ctr-conf', netns: '/var/run/netns/conf', ifName: 'eth0' };
    expectOk(await world.go('add', file, attachment, { replies }), 'Go ADD');
    expectOk(await world.ours('add', file, attachment, { replies }), 'our ADD');
    const go = await readEntry(world.cacheFile(world.goCache, NETWORK, attachment));
    const ours = await readEntry(world.cacheFile(world.ourCache, NETWORK, attachment));
    expectSameEntry(go, ours, text, { conf: true, attachment });
    const goConfig = Buffer.from(go['config'] as string, 'base64').toString('utf8');
    expect(goConfig).toContain('12345678901234567000');
    expect(goConfig).toContain('\\u003ca\\u0026b\\u003e');

    // Each library can still DEL from the other's entry.
    const ourDel = await world.ours('del', file, attachment, { cacheDir: world.goCache });
    const goDel = await world.go('del', file, attachment, { cacheDir: world.ourCache });
    expectOk(ourDel, 'our DEL of the Go entry');
    expectOk(goDel, 'Go DEL of our entry');
    expect(ourDel.received[0]!.json['prevResult']).toEqual(resultOf('0.4.0'));
    expect(goDel.received[0]!.json['prevResult']).toEqual(resultOf('0.4.0'));
  });

  // Rich results for the conversion matrix: both families, several addresses, routes, interfaces.
  const RICH_DNS = { nameservers: ['10.4.0.1', 'fd00::1'], domain: 'example.org', search: ['example.org'], options: ['ndots:1'] };
  function richResult(version: string): Record<string, unknown> {
    if (compareVersions(version, '0.3.0') < 0) {
      return {
        cniVersion: version,
        ip4: { ip: '10.4.0.5/24', gateway: '10.4.0.1', routes: [{ dst: '0.0.0.0/0', gw: '10.4.0.1' }, { dst: '10.5.0.0/16' }] },
        ip6: { ip: 'fd00::5/64', gateway: 'fd00::1', routes: [{ dst: '::/0' }] },
        dns: RICH_DNS,
      };
    }
    const v = compareVersions(version, '1.0.0') < 0;
    return {
      cniVersion: version,
      interfaces: [{ name: 'eth0', mac: '02:42:ac:11:00:05', sandbox: '/var/run/netns/rich' }, { name: 'veth9' }],
      ips: [
        { ...(v ? { version: '4' } : {}), interface: 0, address: '10.4.0.5/24', gateway: '10.4.0.1' },
        { ...(v ? { version: '6' } : {}), interface: 0, address: 'fd00::5/64', gateway: 'fd00::1' },
        { ...(v ? { version: '4' } : {}), address: '10.4.0.6/24' },
      ],
      routes: [{ dst: '0.0.0.0/0', gw: '10.4.0.1' }, { dst: 'fd00:1::/64' }, { dst: '10.5.0.0/16' }],
      dns: RICH_DNS,
    };
  }

  const GO_VERSIONS = ALL_VERSIONS.filter((v) => v !== '1.1.0');

  it.each(GO_VERSIONS)('a cached %s result reads the same in both libraries, converted to every list version', async (cachedVersion) => {
    const world = await ref.newWorld();
    const attachment: Rt = { containerId: 'ctr-matrix', netns: '/var/run/netns/rich', ifName: 'eth0' };
    const entry = {
      kind: 'cniCacheV1',
      containerId: attachment.containerId,
      config: '',
      ifName: attachment.ifName,
      networkName: NETWORK,
      result: richResult(cachedVersion),
    };
    const file = world.cacheFile(world.goCache, NETWORK, attachment);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(entry));
    for (const listVersion of GO_VERSIONS) {
      const config = await world.config(`10-${listVersion}.conflist`, conflist(listVersion));
      const go = await world.go('cached', config, attachment, { cacheDir: world.goCache });
      const ours = await world.oursCall('cached', { cacheDir: world.goCache }, async (cni) =>
        cni.getNetworkListCachedResult(await loadConfList(config), attachment),
      );
      expect(go.outcome.ok, `Go ${cachedVersion} -> ${listVersion}: ${JSON.stringify(go.outcome)}`).toBe(true);
      expect(ours.outcome, `${cachedVersion} -> ${listVersion}`).toEqual(go.outcome);
    }
  });

  it('a cached result without addresses: Go cannot convert it to 0.2.0 and fails, we convert it to one without ip4/ip6', async () => {
    const world = await ref.newWorld();
    const attachment: Rt = { containerId: 'ctr-noip', netns: '/var/run/netns/rich', ifName: 'eth0' };
    const entry = {
      kind: 'cniCacheV1',
      containerId: attachment.containerId,
      config: '',
      ifName: 'eth0',
      networkName: NETWORK,
      result: { cniVersion: '1.0.0', dns: RICH_DNS },
    };
    const file = world.cacheFile(world.goCache, NETWORK, attachment);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(entry));
    const config = await world.config('10-old.conflist', conflist('0.2.0'));
    const go = await world.go('cached', config, attachment, { cacheDir: world.goCache });
    const ours = await world.oursCall('cached', { cacheDir: world.goCache }, async (cni) =>
      cni.getNetworkListCachedResult(await loadConfList(config), attachment),
    );
    expect(go.outcome).toMatchObject({ ok: false, error: expect.stringMatching(/cannot convert: no valid IP addresses/) });
    expect(ours.outcome).toEqual({ ok: true, result: { cniVersion: '0.2.0', dns: RICH_DNS } });
  });


  it('getNetworkListCachedConfig: the same bytes and ADD-time arguments from either library\'s entry', async () => {
    const world = await ref.newWorld();
    const text = conflist('1.0.0');
    const file = await world.config('10-cache.conflist', text);
    const replies = [resultOf('1.0.0'), resultOf('1.0.0')];
    expectOk(await world.go('add', file, rt, { replies }), 'Go ADD');
    expectOk(await world.ours('add', file, rt, { replies }), 'our ADD');
    const asked: Rt = { ...rtAtDel, args: [['NOW', '1']] };
    for (const cacheDir of [world.goCache, world.ourCache]) {
      const go = await world.goRequest({ op: 'cachedConfig', configFile: file, ...asked, cacheDir });
      const ours = await world.oursCall('cachedConfig', { cacheDir }, async (cni) => {
        const cached = await cni.getNetworkListCachedConfig(await loadConfList(file), asked);
        return cached && { ...cached, config: Buffer.from(cached.config).toString('utf8') };
      });
      expect(go.outcome).toEqual({
        ok: true,
        result: {
          config: text,
          containerId: rt.containerId,
          netns: rt.netns,
          ifName: rt.ifName,
          args: rt.args,
          capabilityArgs: rt.capabilityArgs,
        },
      });
      const cachedRt = { ...asked, args: rt.args, capabilityArgs: rt.capabilityArgs };
      expect(ours.outcome).toEqual({ ok: true, result: { config: text, rt: cachedRt } });
    }
  });

  it('getNetworkListCachedConfig of a pre-cniCacheV1 file (a bare result): Go says wrong kind, we say nothing is cached', async () => {
    const world = await ref.newWorld();
    const file = await world.config('10-cache.conflist', conflist('1.0.0'));
    const cacheFile = world.cacheFile(world.goCache, NETWORK, rt);
    await mkdir(path.dirname(cacheFile), { recursive: true });
    await writeFile(cacheFile, JSON.stringify(resultOf('1.0.0')));
    const go = await world.goRequest({ op: 'cachedConfig', configFile: file, ...rtAtDel, cacheDir: world.goCache });
    const ours = await world.oursCall('cachedConfig', { cacheDir: world.goCache }, async (cni) =>
      cni.getNetworkListCachedConfig(await loadConfList(file), rtAtDel),
    );
    expect(go.outcome).toMatchObject({ ok: false, error: expect.stringMatching(/has wrong kind/) });
    expect(ours.outcome).toEqual({ ok: true });
    // Both still read the bare result itself.
    const goResult = await world.go('cached', file, rtAtDel, { cacheDir: world.goCache });
    const ourResult = await world.ours('cached', file, rtAtDel, { cacheDir: world.goCache });
    expect(ourResult.outcome).toEqual(goResult.outcome);
    expect(ourResult.outcome).toEqual({ ok: true, result: resultOf('1.0.0') });
  });

});
