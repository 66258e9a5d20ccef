import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RT, installChain, resultOf } from '../helpers/chain.js';
import { calls, cniEnv, createFakeEnv, stdinOf, type FakeEnv } from '../helpers/fake-env.js';

function cacheFile(env: FakeEnv, name = 'chainnet-ctr1-eth0'): string {
  return path.join(env.cacheDir, 'results', name);
}

async function results(env: FakeEnv): Promise<string[]> {
  return readdir(path.join(env.cacheDir, 'results')).catch(() => []);
}

describe('CNI.delNetworkList', () => {
  it('runs the plugins in reverse, each with the cached final result, then removes the cache file', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2', 'q3']);
    const cni = env.cni();
    await cni.addNetworkList(list, RT);
    await cni.delNetworkList(list, RT);

    const runs = await env.invocations();
    expect(calls(runs)).toEqual(['ADD q1', 'ADD q2', 'ADD q3', 'DEL q3', 'DEL q2', 'DEL q1']);
    for (const run of runs.slice(3)) {
      expect(stdinOf(run).prevResult).toEqual(resultOf('q3', 2));
      expect(cniEnv(run)).toEqual({
        CNI_COMMAND: 'DEL',
        CNI_CONTAINERID: 'ctr1',
        CNI_NETNS: '/run/netns/ns1',
        CNI_IFNAME: 'eth0',
        CNI_ARGS: '',
        CNI_PATH: env.binDir,
      });
    }
    expect(await results(env)).toEqual([]);
  });

  it('replays the CNI_ARGS and capability args cached at ADD time when DEL passes none', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['bridge', 'portmap'], {
      pluginExtra: { portmap: { capabilities: { portMappings: true } } },
    });
    const portMappings = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }];
    const cni = env.cni();
    await cni.addNetworkList(list, { ...RT, args: [['K8S_POD_NAME', 'web']], capabilityArgs: { portMappings } });
    await cni.delNetworkList(list, { containerId: 'ctr1', ifName: 'eth0', netns: '/run/netns/ns1' });

    const dels = (await env.invocations()).filter((run) => run.command === 'DEL');
    expect(calls(dels)).toEqual(['DEL portmap', 'DEL bridge']);
    expect(stdinOf(dels[0]).runtimeConfig).toEqual({ portMappings });
    for (const run of dels) expect(run.env['CNI_ARGS']).toBe('K8S_POD_NAME=web');
  });

  it('succeeds without a cache file, running every plugin without prevResult', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2']);
    await env.cni().delNetworkList(list, { ...RT, args: { A: 'b' } });
    const runs = await env.invocations();
    expect(calls(runs)).toEqual(['DEL q2', 'DEL q1']);
    for (const run of runs) {
      expect(stdinOf(run)).not.toHaveProperty('prevResult');
      expect(run.env['CNI_ARGS']).toBe('A=b');
    }
  });

  it.each([
    ['empty', ''],
    ['truncated', '{"kind":"cniCacheV1","containerId":"ctr1","res'],
    ['holding a result it cannot read', '{"kind":"cniCacheV1","containerId":"ctr1","ifName":"eth0","networkName":"chainnet","result":{"cniVersion":"7.0.0"}}'],
  ])('runs every plugin without prevResult and removes a cache file that is %s', async (_, text) => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2']);
    await mkdir(path.join(env.cacheDir, 'results'), { recursive: true });
    await writeFile(cacheFile(env), text);
    await env.cni().delNetworkList(list, RT);
    const runs = await env.invocations();
    expect(calls(runs)).toEqual(['DEL q2', 'DEL q1']);
    for (const run of runs) expect(stdinOf(run)).not.toHaveProperty('prevResult');
    expect(await results(env)).toEqual([]);
  });

  it('uses a legacy cache file holding a bare result as prevResult', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    await mkdir(path.join(env.cacheDir, 'results'), { recursive: true });
    await writeFile(cacheFile(env), '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.9.0.2/24"}]}');
    await env.cni().delNetworkList(list, RT);
    const [run] = await env.invocations();
    expect(stdinOf(run).prevResult).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.9.0.2/24' }] });
  });

  it('sends CNI_NETNS as an empty string when the netns is gone', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    await env.cni().delNetworkList(list, { containerId: 'ctr1', ifName: 'eth0' });
    const [run] = await env.invocations();
    expect(run!.env['CNI_NETNS']).toBe('');
    expect(Object.keys(cniEnv(run))).toHaveLength(6);
  });

  it('goes on past a failing plugin, reports it, and keeps the cache file for a retry', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2', 'q3']);
    const cni = env.cni();
    await cni.addNetworkList(list, RT);
    const before = await readFile(cacheFile(env), 'utf8');
    await env.answer('q2', 'DEL', { stdout: '{"code":11,"msg":"busy","details":"retry"}', exitCode: 1 });

    await expect(cni.delNetworkList(list, RT)).rejects.toMatchObject({
      code: 'ERR_CNI_PLUGIN',
      cniCode: 11,
      network: 'chainnet',
      plugin: 'q2',
      command: 'DEL',
      message: 'plugin type="q2" name="chainnet" failed (del): busy; retry',
    });
    expect(calls(await env.invocations()).slice(3)).toEqual(['DEL q3', 'DEL q2', 'DEL q1']);
    expect(await readFile(cacheFile(env), 'utf8')).toBe(before);

    // The retry gets the same prevResult and, once everything succeeds, clears the cache.
    await env.answer('q2', 'DEL', { exitCode: 0, stdout: '' });
    await cni.delNetworkList(list, RT);
    const retries = (await env.invocations()).slice(6);
    expect(calls(retries)).toEqual(['DEL q3', 'DEL q2', 'DEL q1']);
    for (const run of retries) expect(stdinOf(run).prevResult).toEqual(resultOf('q3', 2));
    expect(await results(env)).toEqual([]);
  });

  it('reports several failing plugins as ERR_CNI_MULTIPLE, and a missing one too', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2', 'q3']);
    await env.answer('q1', 'DEL', { exitCode: 3 });
    await rm(path.join(env.binDir, 'q3'));
    const error = (await env.cni().delNetworkList(list, RT).catch((caught: unknown) => caught)) as {
      code: string;
      errors: { code: string; plugin: string }[];
    };
    expect(error.code).toBe('ERR_CNI_MULTIPLE');
    expect(error.errors.map((entry) => [entry.code, entry.plugin])).toEqual([
      ['ERR_CNI_PLUGIN_NOT_FOUND', 'q3'],
      ['ERR_CNI_PLUGIN_EXEC', 'q1'],
    ]);
    expect(calls(await env.invocations())).toEqual(['DEL q2', 'DEL q1']);
  });

  it('passes no prevResult to lists older than 0.4.0, even with a cache', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1'], { version: '0.3.1' });
    const cni = env.cni();
    await cni.addNetworkList(list, RT);
    await cni.delNetworkList(list, RT);
    const [, del] = await env.invocations();
    expect(del!.command).toBe('DEL');
    expect(stdinOf(del)).toEqual({ type: 'q1', name: 'chainnet', cniVersion: '0.3.1' });
    expect(await results(env)).toEqual([]);
  });

  it('converts the cached result to the list version for prevResult', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1'], { version: '0.4.0' });
    await mkdir(path.join(env.cacheDir, 'results'), { recursive: true });
    await writeFile(
      cacheFile(env),
      JSON.stringify({ kind: 'cniCacheV1', containerId: 'ctr1', ifName: 'eth0', networkName: 'chainnet', result: { cniVersion: '1.0.0', ips: [{ address: 'fd00::2/64' }] } }),
    );
    await env.cni().delNetworkList(list, RT);
    const [run] = await env.invocations();
    expect(stdinOf(run).prevResult).toEqual({ cniVersion: '0.4.0', ips: [{ version: '6', address: 'fd00::2/64' }] });
  });

  it('waits for an ADD of the same attachment in flight, so the cache ends up empty', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    await env.answer('q1', 'ADD', { sleep: 1 });
    const cni = env.cni();
    const adding = cni.addNetworkList(list, RT);
    const deleting = cni.delNetworkList(list, RT);
    await Promise.all([adding, deleting]);
    expect(calls(await env.invocations())).toEqual(['ADD q1', 'DEL q1']);
    expect(await results(env)).toEqual([]);
  });

  it.each([
    ['an empty container ID', { containerId: '' }, 3],
    ['a container ID with ..', { containerId: '../x' }, 4],
    ['an ifName with a slash', { ifName: '../../etc' }, 4],
  ])('rejects %s before running anything or touching the cache', async (_, override, cniCode) => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    await expect(env.cni().delNetworkList(list, { ...RT, ...override })).rejects.toMatchObject({ code: 'ERR_CNI_INVALID_ARG', cniCode });
    expect(await env.invocations()).toEqual([]);
  });

  it('rejects a bad network name with cniCode 7', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1'], { name: '../escape' });
    await expect(env.cni().delNetworkList(list, RT)).rejects.toMatchObject({ code: 'ERR_CNI_INVALID_ARG', cniCode: 7 });
    expect(await env.invocations()).toEqual([]);
  });
});
