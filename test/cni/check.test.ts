import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConf } from '../../src/index.js';
import { RT, installChain, resultOf } from '../helpers/chain.js';
import { calls, cniEnv, createFakeEnv, stdinOf } from '../helpers/fake-env.js';

describe('CNI.checkNetworkList', () => {
  it('runs the plugins in order, each with the cached result and the ADD-time args', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['bridge', 'bandwidth'], {
      pluginExtra: { bandwidth: { capabilities: { bandwidth: true } } },
    });
    const bandwidth = { ingressRate: 1000, ingressBurst: 100 };
    const cni = env.cni();
    await cni.addNetworkList(list, { ...RT, args: [['IgnoreUnknown', '1']], capabilityArgs: { bandwidth } });
    await cni.checkNetworkList(list, RT);

    const checks = (await env.invocations()).slice(2);
    expect(calls(checks)).toEqual(['CHECK bridge', 'CHECK bandwidth']);
    for (const run of checks) {
      expect(stdinOf(run).prevResult).toEqual(resultOf('bandwidth', 1));
      expect(cniEnv(run)).toEqual({
        CNI_COMMAND: 'CHECK',
        CNI_CONTAINERID: 'ctr1',
        CNI_NETNS: '/run/netns/ns1',
        CNI_IFNAME: 'eth0',
        CNI_ARGS: 'IgnoreUnknown=1',
        CNI_PATH: env.binDir,
      });
    }
    expect(stdinOf(checks[1]).runtimeConfig).toEqual({ bandwidth });
  });

  it('stops at the first failing plugin and returns its error', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2', 'q3']);
    const cni = env.cni();
    await cni.addNetworkList(list, RT);
    await env.answer('q2', 'CHECK', { stdout: '{"code":100,"msg":"check failed"}', exitCode: 1 });
    await expect(cni.checkNetworkList(list, RT)).rejects.toMatchObject({
      code: 'ERR_CNI_PLUGIN',
      cniCode: 100,
      plugin: 'q2',
      command: 'CHECK',
      message: 'plugin type="q2" name="chainnet" failed (check): check failed',
    });
    expect(calls((await env.invocations()).slice(3))).toEqual(['CHECK q1', 'CHECK q2']);
  });

  it.each(['0.3.1', '0.2.0', ''])('rejects a list of version %j with ERR_CNI_VERSION without running anything', async (version) => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1'], { version, listExtra: version === '' ? { cniVersion: undefined } : {} });
    await expect(env.cni().checkNetworkList(list, RT)).rejects.toMatchObject({
      name: 'VersionError',
      code: 'ERR_CNI_VERSION',
      cniCode: 1,
      command: 'CHECK',
      network: 'chainnet',
      message: `configuration version "${version}" does not support the CHECK command`,
    });
    expect(await env.invocations()).toEqual([]);
  });

  it.each([true, 'true', 'TRUE'])('does nothing when disableCheck is %j', async (disableCheck) => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1'], { version: '0.4.0', listExtra: { disableCheck } });
    await env.answer('q1', 'CHECK', { stdout: '{"code":100,"msg":"check failed"}', exitCode: 1 });
    await expect(env.cni().checkNetworkList(list, RT)).resolves.toBeUndefined();
    expect(await env.invocations()).toEqual([]);
  });

  it('honours disableCheck on a single-plugin .conf', async () => {
    const env = await createFakeEnv();
    await env.install('nocheck');
    const list = parseConf('{"cniVersion":"0.4.0","name":"netb","type":"nocheck","disableCheck":true}');
    await expect(env.cni().checkNetworkList(list, RT)).resolves.toBeUndefined();
    expect(await env.invocations()).toEqual([]);
  });

  it('rejects with ERR_CNI_CACHE when nothing was cached, without running anything', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    await expect(env.cni().checkNetworkList(list, RT)).rejects.toMatchObject({
      code: 'ERR_CNI_CACHE',
      command: 'CHECK',
      network: 'chainnet',
      file: path.join(env.cacheDir, 'results', 'chainnet-ctr1-eth0'),
      message: 'cannot CHECK network "chainnet" for container ctr1: the cached ADD result does not exist',
    });
    expect(await env.invocations()).toEqual([]);
  });

  it('rejects with ERR_CNI_CACHE when the cache file is empty', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    await mkdir(path.join(env.cacheDir, 'results'), { recursive: true });
    await writeFile(path.join(env.cacheDir, 'results', 'chainnet-ctr1-eth0'), '');
    await expect(env.cni().checkNetworkList(list, RT)).rejects.toMatchObject({
      code: 'ERR_CNI_CACHE',
      message: 'cannot CHECK network "chainnet" for container ctr1: the cached ADD result is corrupt: the file is empty',
    });
    expect(await env.invocations()).toEqual([]);
  });

  it('rejects a missing plugin before running any', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    const cni = env.cni();
    await cni.addNetworkList(list, RT);
    const { text } = await installChain(env, ['q2']);
    const changed = parseConf(text.replace('"plugins":[{"type":"q2"}]', '"plugins":[{"type":"q1"},{"type":"gone"}]'));
    await expect(cni.checkNetworkList(changed, RT)).rejects.toMatchObject({ code: 'ERR_CNI_PLUGIN_NOT_FOUND', plugin: 'gone' });
    expect(calls(await env.invocations())).toEqual(['ADD q1']);
  });

  it('rejects a bad network name with cniCode 7 before running anything', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1'], { name: '.hidden' });
    await expect(env.cni().checkNetworkList(list, RT)).rejects.toMatchObject({ code: 'ERR_CNI_INVALID_ARG', cniCode: 7 });
    expect(await env.invocations()).toEqual([]);
  });

  it.each([
    ['an empty container ID', { containerId: '' }, 3],
    ['an ifName with a space', { ifName: 'eth 0' }, 4],
  ])('rejects %s', async (_, override, cniCode) => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    await expect(env.cni().checkNetworkList(list, { ...RT, ...override })).rejects.toMatchObject({ code: 'ERR_CNI_INVALID_ARG', cniCode });
  });
});
