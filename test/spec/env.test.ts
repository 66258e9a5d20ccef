// Conformance lines C23-C28 (docs/CONFORMANCE.md): the CNI_* environment of each command.

import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { parseConfList } from '../../src/index.js';
import { RT, cniEnv, createFakeEnv, installChain, stdinOf, versionAnswer } from './support.js';

const saved = { ...process.env };
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

describe('plugin environment', () => {
  it('C23: ADD, CHECK and DEL set all six CNI_* variables; DEL with an empty netns sends an empty CNI_NETNS', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['p']);
    const cni = env.cni();
    const rt = { containerId: 'ctr1', netns: '/run/netns/ns1', ifName: 'eth0', args: [['K', 'V']] as [string, string][] };
    await cni.addNetworkList(list, rt);
    await cni.checkNetworkList(list, rt);
    await cni.delNetworkList(list, { ...rt, netns: '' });
    const [add, check, del] = await env.invocations();
    const common = { CNI_CONTAINERID: 'ctr1', CNI_IFNAME: 'eth0', CNI_ARGS: 'K=V', CNI_PATH: env.binDir };
    expect(cniEnv(add)).toEqual({ ...common, CNI_COMMAND: 'ADD', CNI_NETNS: '/run/netns/ns1' });
    expect(cniEnv(check)).toEqual({ ...common, CNI_COMMAND: 'CHECK', CNI_NETNS: '/run/netns/ns1' });
    expect(cniEnv(del)).toEqual({ ...common, CNI_COMMAND: 'DEL', CNI_NETNS: '' });
  });

  it('C24: CNI_ARGS joins pairs as k1=v1;k2=v2 in the given order; no args means a present, empty CNI_ARGS', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['p']);
    const cni = env.cni();
    const withArgs = { ...RT, containerId: 'c1' };
    await cni.addNetworkList(list, { ...withArgs, args: [['k2', 'v2'], ['k1', 'v1'], ['IgnoreUnknown', '1']] });
    await cni.addNetworkList(list, { ...RT, containerId: 'c2', args: { zeta: 'z', alpha: 'a' } });
    await cni.addNetworkList(list, { ...RT, containerId: 'c3' });
    await cni.addNetworkList(list, { ...RT, containerId: 'c4', args: [] });
    const runs = await env.invocations();
    expect(runs.map((run) => run.env['CNI_ARGS'])).toEqual(['k2=v2;k1=v1;IgnoreUnknown=1', 'zeta=z;alpha=a', '', '']);
    expect(Object.keys(runs[2]!.env)).toContain('CNI_ARGS');
  });

  it('C25: CNI_PATH is the search path joined with ":"', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['p']);
    const first = path.join(env.root, 'first');
    await mkdir(first);
    await env.cni({ path: [first, env.binDir, '/nonexistent/dir'] }).addNetworkList(list, RT);
    await env.cni({ path: `${first}:${env.binDir}` }).addNetworkList(list, { ...RT, containerId: 'c2' });
    const runs = await env.invocations();
    expect(runs[0]!.env['CNI_PATH']).toBe(`${first}:${env.binDir}:/nonexistent/dir`);
    expect(runs[1]!.env['CNI_PATH']).toBe(`${first}:${env.binDir}`);
  });

  it('C26: the parent environment reaches the plugin, but a parent CNI_COMMAND=XYZ is overridden', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['p']);
    process.env['SPEC_PARENT_VALUE'] = 'from-parent';
    process.env['CNI_COMMAND'] = 'XYZ';
    process.env['CNI_IFNAME'] = 'stale0';
    await env.cni().addNetworkList(list, RT);
    const [run] = await env.invocations();
    expect(run!.env['SPEC_PARENT_VALUE']).toBe('from-parent');
    expect(run!.env['CNI_COMMAND']).toBe('ADD');
    expect(run!.env['CNI_IFNAME']).toBe('eth0');
  });

  it('C27: VERSION runs with CNI_COMMAND=VERSION, dummy netns/ifname/path and stdin {"cniVersion":"1.1.0"}', async () => {
    const env = await createFakeEnv();
    await env.install('p');
    await env.answer('p', 'VERSION', { stdout: versionAnswer(['1.0.0']) });
    await env.cni().getVersionInfo('p');
    const [run] = await env.invocations();
    expect(cniEnv(run)).toEqual({
      CNI_COMMAND: 'VERSION',
      CNI_CONTAINERID: '',
      CNI_NETNS: 'dummy',
      CNI_IFNAME: 'dummy',
      CNI_ARGS: '',
      CNI_PATH: 'dummy',
    });
    expect(run!.stdin).toBe('{"cniVersion":"1.1.0"}');
  });

  it('C28: GC and STATUS send empty CNI_CONTAINERID/NETNS/IFNAME/ARGS and the search path as CNI_PATH', async () => {
    const env = await createFakeEnv();
    await env.install('p');
    await env.answer('p', 'VERSION', { stdout: versionAnswer(['1.1.0']) });
    const list = parseConfList('{"cniVersion":"1.1.0","name":"n","plugins":[{"type":"p"}]}');
    const cni = env.cni();
    await cni.getStatusNetworkList(list);
    await cni.gcNetworkList(list, { validAttachments: [] });
    const runs = (await env.invocations()).filter((run) => run.command !== 'VERSION');
    expect(runs.map((run) => cniEnv(run))).toEqual(
      ['STATUS', 'GC'].map((command) => ({ CNI_COMMAND: command, CNI_CONTAINERID: '', CNI_NETNS: '', CNI_IFNAME: '', CNI_ARGS: '', CNI_PATH: env.binDir })),
    );
    expect(stdinOf(runs[1])['cni.dev/valid-attachments']).toEqual([]);
  });
});
