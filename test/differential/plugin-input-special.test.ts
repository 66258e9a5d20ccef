// Differential tests of single behaviours beside the table in plugin-input.test.ts: where we
// differ from the Go reference library on purpose (replayed arguments on DEL/CHECK, prevResult in
// the list version), where this packaged reference is older than the spec we speak, and the
// commands without a network attachment (VERSION, validation, GC).

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_VERSIONS, loadConfList } from '../../src/index.js';
import { PLUGIN_DIR, RECORD_PLUGIN, skipWithoutReference, useGoReference, type Rt, type Run } from './harness.js';
import {
  NETWORK,
  PLUGINS,
  conflist,
  expectFailed,
  expectOk,
  expectSameInput,
  repliesFor,
  resultOf,
  runtimeConfigFor,
  rtBare,
  rtFull,
} from './inputs.js';

describe.skipIf(skipWithoutReference)('plugin input, single behaviours: Go libcni vs ours', () => {
  const ref = useGoReference();

  it('DEL and CHECK: we replay the capability args and CNI_ARGS cached at ADD; Go sends the current ones (on purpose)', async () => {
    const world = await ref.newWorld();
    const plugins = PLUGINS.slice(0, 2);
    const file = await world.config('10-replay.conflist', conflist('1.0.0', plugins));
    const replies = repliesFor('1.0.0', 2, ref.legacy);
    const later: Rt = {
      ...rtFull,
      netns: '',
      args: [['OTHER', 'x']],
      capabilityArgs: { portMappings: [{ hostPort: 9090, containerPort: 90, protocol: 'udp' }], mac: '02:00:00:00:00:99' },
    };
    expectOk(await world.go('add', file, rtFull, { replies }), 'Go ADD');
    expectOk(await world.ours('add', file, rtFull, { replies }), 'our ADD');

    for (const op of ['check', 'del'] as const) {
      const go = await world.go(op, file, later);
      const ours = await world.ours(op, file, later);
      expectOk(go, `Go ${op}`);
      expectOk(ours, `our ${op}`);
      const order = op === 'del' ? [...plugins].reverse() : plugins;
      for (const [i, text] of order.entries()) {
        const [g, o] = [go.received[i]!, ours.received[i]!];
        expect(g.env['CNI_ARGS']).toBe('OTHER=x');
        expect(o.env['CNI_ARGS']).toBe('IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0');
        expect(g.env['CNI_NETNS']).toBe('');
        expect(o.env['CNI_NETNS']).toBe('');
        const fileRuntimeConfig = (JSON.parse(text) as { runtimeConfig?: unknown }).runtimeConfig;
        expect(g.json['runtimeConfig']).toEqual(runtimeConfigFor(text, later.capabilityArgs) ?? fileRuntimeConfig);
        expect(o.json['runtimeConfig']).toEqual(runtimeConfigFor(text, rtFull.capabilityArgs) ?? fileRuntimeConfig);
        expect(g.json['runtimeConfig']).not.toEqual(o.json['runtimeConfig']);
        const { CNI_ARGS: _g, ...goEnv } = g.env;
        const { CNI_ARGS: _o, ...ourEnv } = o.env;
        expect(ourEnv).toEqual(goEnv);
        const { runtimeConfig: _gr, ...goRest } = g.json;
        const { runtimeConfig: _or, ...ourRest } = o.json;
        expect(ourRest).toEqual(goRest);
      }
    }
  });

  it('ADD: we pass prevResult in the list version; Go passes it in the version the plugin wrote (on purpose)', async () => {
    const world = await ref.newWorld();
    const file = await world.config('10-mixed.conflist', conflist('1.0.0', PLUGINS));
    const replies = [resultOf('0.4.0', 0), resultOf('0.3.1', 1), resultOf('0.4.0', 2)];
    const goAdd = await world.go('add', file, rtFull, { replies });
    const ourAdd = await world.ours('add', file, rtFull, { replies });
    expectOk(goAdd, 'Go ADD');
    expectOk(ourAdd, 'our ADD');
    for (const i of [1, 2]) {
      expect(goAdd.received[i]!.json['prevResult']).toEqual(replies[i - 1]);
      expect(ourAdd.received[i]!.json['prevResult']).toEqual(resultOf('1.0.0', i - 1));
      expectSameInput(goAdd.received[i]!, ourAdd.received[i]!, PLUGINS[i]!, { ignorePrevResult: true });
    }
    // The final result: Go returns and caches the last plugin's version, we the list's.
    expect(goAdd.outcome).toEqual({ ok: true, result: replies[2] });
    expect(ourAdd.outcome).toEqual({ ok: true, result: resultOf('1.0.0', 2) });
    const goEntry = JSON.parse(await readFile(world.cacheFile(world.goCache, NETWORK, rtFull), 'utf8')) as { result: unknown };
    const ourEntry = JSON.parse(await readFile(world.cacheFile(world.ourCache, NETWORK, rtFull), 'utf8')) as { result: unknown };
    expect(goEntry.result).toEqual(replies[2]);
    expect(ourEntry.result).toEqual(resultOf('1.0.0', 2));

    // On DEL Go converts its cached 0.4.0 result to the list version too, so both send the same.
    const goDel = await world.go('del', file, rtFull);
    const ourDel = await world.ours('del', file, rtFull);
    expectOk(goDel, 'Go DEL');
    expectOk(ourDel, 'our DEL');
    for (const [i, text] of [...PLUGINS].reverse().entries()) {
      expect(ourDel.received[i]!.json['prevResult']).toEqual(resultOf('1.0.0', 2));
      expectSameInput(goDel.received[i]!, ourDel.received[i]!, text);
    }
  });

  it('a result without dns: this reference adds "dns": {} to prevResult and the cache, we leave it out', async () => {
    const world = await ref.newWorld();
    const plugins = PLUGINS.slice(1, 3);
    const file = await world.config('10-nodns.conflist', conflist('1.0.0', plugins));
    const replies = [resultOf('1.0.0', 0, { dns: false }), resultOf('1.0.0', 1, { dns: false })];
    const goAdd = await world.go('add', file, rtBare, { replies });
    const ourAdd = await world.ours('add', file, rtBare, { replies });
    expectOk(goAdd, 'Go ADD');
    expectOk(ourAdd, 'our ADD');
    expect(ourAdd.received[1]!.json['prevResult']).toEqual(replies[0]);
    expect(ourAdd.outcome).toEqual({ ok: true, result: replies[1] });
    if (ref.legacy) {
      expect(goAdd.received[1]!.json['prevResult']).toEqual({ ...replies[0], dns: {} });
      expect(goAdd.outcome).toEqual({ ok: true, result: { ...replies[1], dns: {} } });
      expectSameInput(goAdd.received[1]!, ourAdd.received[1]!, plugins[1]!, { ignorePrevResult: true });
    } else {
      expectSameInput(goAdd.received[1]!, ourAdd.received[1]!, plugins[1]!);
      expect(ourAdd.outcome).toEqual(goAdd.outcome);
    }
  });

  it('a 1.1.0 result: this reference cannot read it (it speaks up to 1.0.0); we can', async () => {
    const world = await ref.newWorld();
    const file = await world.config('10-v11.conflist', conflist('1.1.0', PLUGINS.slice(2, 3)));
    const reply = { ...resultOf('1.1.0', 0), interfaces: [{ name: 'eth0', mtu: 1400, socketPath: '/run/x.sock', pciID: '0000:00:01.0' }] };
    const goAdd = await world.go('add', file, rtBare, { replies: [reply] });
    const ourAdd = await world.ours('add', file, rtBare, { replies: [reply] });
    expectOk(ourAdd, 'our ADD');
    expect(ourAdd.outcome).toEqual({ ok: true, result: reply });
    expect(goAdd.received).toHaveLength(1);
    expectSameInput(goAdd.received[0]!, ourAdd.received[0]!, PLUGINS[2]!);
    if (ref.legacy) {
      expectFailed(goAdd, /unsupported CNI result version "1\.1\.0"/);
    } else {
      expect(goAdd.outcome).toEqual(ourAdd.outcome);
    }
  });

  it('environment: inherited variables reach plugins, the CNI_* ones of the call win; CNI_PATH joins dirs with :', async () => {
    const world = await ref.newWorld();
    const file = await world.config('10-env.conflist', conflist('1.0.0', PLUGINS.slice(2, 3)));
    const cniPath = [path.join(world.root, 'no-such-dir'), PLUGIN_DIR];
    const parentEnv = { CNI_COMMAND: 'XYZ', CNI_IFNAME: 'stale0', CNI_LEAK: 'from-parent' };
    const options = { replies: repliesFor('1.0.0', 1, ref.legacy), cniPath, parentEnv };
    const go = await world.go('add', file, rtFull, options);
    const ours = await world.ours('add', file, rtFull, options);
    expectOk(go, 'Go ADD');
    expectOk(ours, 'our ADD');
    expect(ours.received[0]!.env).toEqual(go.received[0]!.env);
    expect(ours.received[0]!.env).toMatchObject({
      CNI_COMMAND: 'ADD',
      CNI_IFNAME: 'eth0',
      CNI_LEAK: 'from-parent',
      CNI_PATH: cniPath.join(':'),
    });
  });

  it('VERSION: same environment; each library sends its own newest spec version on stdin', async () => {
    const world = await ref.newWorld();
    const go = await world.goRequest({ op: 'version', pluginType: RECORD_PLUGIN });
    const ours = await world.oursCall('version', {}, (cni) => cni.getVersionInfo(RECORD_PLUGIN));
    expect(go.received).toHaveLength(1);
    expect(ours.received).toHaveLength(1);
    const [g, o] = [go.received[0]!, ours.received[0]!];
    expect(o.env).toEqual(g.env);
    expect(o.env).toEqual({
      CNI_COMMAND: 'VERSION',
      CNI_CONTAINERID: '',
      CNI_NETNS: 'dummy',
      CNI_IFNAME: 'dummy',
      CNI_ARGS: '',
      CNI_PATH: 'dummy',
    });
    expect(g.stdin).toBe(JSON.stringify({ cniVersion: ref.reference.specVersion }));
    expect(o.stdin).toBe(JSON.stringify({ cniVersion: '1.1.0' }));
    expect(go.outcome).toEqual({ ok: true, result: { supportedVersions: ALL_VERSIONS } });
    expect(ours.outcome).toEqual({ ok: true, result: { cniVersion: '1.1.0', supportedVersions: ALL_VERSIONS } });
  });

  it('validateNetworkList: we also check the IPAM plugin a plugin delegates to (intended difference)', async () => {
    const world = await ref.newWorld();
    const plugins = PLUGINS.map((plugin) => plugin.replace('"ipam": {"type": "host-local"', '"ipam": {"type": "no-such-ipam"'));
    const file = await world.config('10-validate.conflist', conflist('1.0.0', plugins));
    const go = await world.goRequest({ op: 'validate', configFile: file });
    const list = await loadConfList(file);
    const ours = await world.oursCall('validate', {}, (cni) => cni.validateNetworkList(list));
    // PLUGINS[1] now delegates to an IPAM plugin that is not on the CNI path: Go does not look.
    expectOk(go, 'Go validate');
    expectFailed(ours, /failed to find plugin "no-such-ipam"/);
  });

  it('validateNetworkList: same VERSION runs and the same capabilities', async () => {
    const world = await ref.newWorld();
    const withoutIpam = PLUGINS.map((plugin) => plugin.replace(', "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.1.0.0/24"}]]}', ''));
    const file = await world.config('10-validate.conflist', conflist('1.0.0', withoutIpam));
    const go = await world.goRequest({ op: 'validate', configFile: file });
    const list = await loadConfList(file);
    const ours = await world.oursCall('validate', {}, (cni) => cni.validateNetworkList(list));
    expectOk(go, 'Go validate');
    expectOk(ours, 'our validate');
    const sorted = (run: Run) => [...((run.outcome.ok && (run.outcome.result as string[])) || [])].sort();
    expect(sorted(ours)).toEqual(sorted(go));
    expect(sorted(ours)).toEqual(['mac', 'portMappings']);
    expect(go.received.length).toBe(PLUGINS.length);
    expect(ours.received.map((r) => r.env)).toEqual(go.received.map((r) => r.env));
  });

  it('GC: compared when the reference has GCNetworkList; this one says it has none', async () => {
    const world = await ref.newWorld();
    const file = await world.config('10-gc.conflist', conflist('1.1.0', PLUGINS.slice(2, 3)));
    const validAttachments = [{ containerID: 'ctr-keep', ifname: 'eth0' }];
    const go = await world.goRequest({ op: 'gc', configFile: file, cacheDir: world.goCache, validAttachments });
    if (ref.legacy) {
      expectFailed(go, /^unsupported: this version of libcni has no GCNetworkList$/);
      expect(go.received).toEqual([]);
      return;
    }
    const list = await loadConfList(file);
    const ours = await world.oursCall('gc', {}, (cni) =>
      cni.gcNetworkList(list, { validAttachments: validAttachments.map((a) => ({ containerId: a.containerID, ifName: a.ifname })) }),
    );
    expectOk(go, 'Go GC');
    expectOk(ours, 'our GC');
    const gcRuns = (run: Run) => run.received.filter((r) => r.env['CNI_COMMAND'] === 'GC');
    expect(gcRuns(ours)).toHaveLength(1);
    expectSameInput(gcRuns(go)[0]!, gcRuns(ours)[0]!, PLUGINS[2]!);
  });
});
