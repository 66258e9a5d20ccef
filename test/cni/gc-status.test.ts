import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RT, installChain } from '../helpers/chain.js';
import { calls, cniEnv, createFakeEnv, stdinOf, type FakeEnv } from '../helpers/fake-env.js';

async function speak(env: FakeEnv, types: readonly string[], versions = '["1.0.0","1.1.0"]'): Promise<void> {
  for (const type of types) await env.answer(type, 'VERSION', { stdout: `{"cniVersion":"1.1.0","supportedVersions":${versions}}` });
}

async function results(env: FakeEnv): Promise<string[]> {
  return (await readdir(path.join(env.cacheDir, 'results'))).sort();
}

describe('CNI.gcNetworkList', () => {
  it('DELs stale cached attachments, then sends GC with the valid attachments to each plugin in order', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2'], { version: '1.1.0' });
    await speak(env, ['q1', 'q2']);
    const cni = env.cni();
    await cni.addNetworkList(list, RT);
    await cni.addNetworkList(list, { ...RT, containerId: 'ctr2', netns: '/run/netns/ns2', args: { K: 'V' } });
    await cni.gcNetworkList(list, { validAttachments: [{ containerId: 'ctr1', ifName: 'eth0' }] });

    const runs = (await env.invocations()).slice(4).filter((run) => run.command !== 'VERSION');
    expect(calls(runs)).toEqual(['DEL q2', 'DEL q1', 'GC q1', 'GC q2']);
    expect(cniEnv(runs[0])).toMatchObject({ CNI_CONTAINERID: 'ctr2', CNI_NETNS: '/run/netns/ns2', CNI_ARGS: 'K=V' });
    const valid = [{ containerID: 'ctr1', ifname: 'eth0' }];
    expect(stdinOf(runs[2])).toEqual({
      type: 'q1',
      name: 'chainnet',
      cniVersion: '1.1.0',
      'cni.dev/valid-attachments': valid,
      'cni.dev/attachments': valid,
    });
    expect(cniEnv(runs[2])).toEqual({
      CNI_COMMAND: 'GC',
      CNI_CONTAINERID: '',
      CNI_NETNS: '',
      CNI_IFNAME: '',
      CNI_ARGS: '',
      CNI_PATH: env.binDir,
    });
    expect(await results(env)).toEqual(['chainnet-ctr1-eth0']);
  });

  it('does nothing when disableGC is set', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1'], { version: '1.1.0', listExtra: { disableGC: 'true' } });
    const cni = env.cni();
    await cni.addNetworkList(list, RT);
    await cni.gcNetworkList(list, { validAttachments: [] });
    expect(calls(await env.invocations())).toEqual(['ADD q1']);
  });

  it('only DELs stale attachments for lists older than 1.1.0', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1'], { version: '1.0.0' });
    const cni = env.cni();
    await cni.addNetworkList(list, RT);
    await cni.gcNetworkList(list, { validAttachments: [] });
    expect(calls(await env.invocations())).toEqual(['ADD q1', 'DEL q1']);
  });

  it('skips plugins whose VERSION answer lacks 1.1.0', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['old', 'new'], { version: '1.1.0' });
    await speak(env, ['old'], '["0.4.0","1.0.0"]');
    await speak(env, ['new']);
    await env.cni().gcNetworkList(list);
    expect(calls(await env.invocations())).toEqual(['VERSION old', 'VERSION new', 'GC new']);
    const gc = (await env.invocations()).at(-1);
    expect(stdinOf(gc)).toEqual({ type: 'new', name: 'chainnet', cniVersion: '1.1.0' });
  });

  it('goes on past failing plugins and reports them all', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2'], { version: '1.1.0' });
    await speak(env, ['q1', 'q2']);
    await env.answer('q1', 'GC', { stdout: '{"code":5,"msg":"io"}', exitCode: 1 });
    await env.answer('q2', 'GC', { stdout: '{"code":6,"msg":"decode"}', exitCode: 1 });
    const error = (await env.cni().gcNetworkList(list).catch((caught: unknown) => caught)) as { code: string; errors: { cniCode: number }[] };
    expect(error.code).toBe('ERR_CNI_MULTIPLE');
    expect(error.errors.map((entry) => entry.cniCode)).toEqual([5, 6]);
  });
});

describe('CNI.getStatusNetworkList', () => {
  it('sends STATUS to each plugin in order and resolves when all are ready', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2'], { version: '1.1.0' });
    await speak(env, ['q1', 'q2']);
    await env.cni().getStatusNetworkList(list);
    const runs = (await env.invocations()).filter((run) => run.command === 'STATUS');
    expect(calls(runs)).toEqual(['STATUS q1', 'STATUS q2']);
    expect(runs[0]!.stdin).toBe('{"type":"q1","name":"chainnet","cniVersion":"1.1.0"}');
    expect(cniEnv(runs[0])).toMatchObject({ CNI_COMMAND: 'STATUS', CNI_CONTAINERID: '', CNI_PATH: env.binDir });
  });

  it('rejects with the plugin error, keeping cniCode 50', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2'], { version: '1.1.0' });
    await speak(env, ['q1', 'q2']);
    await env.answer('q1', 'STATUS', { stdout: '{"code":50,"msg":"not ready"}', exitCode: 1 });
    await expect(env.cni().getStatusNetworkList(list)).rejects.toMatchObject({
      code: 'ERR_CNI_PLUGIN',
      cniCode: 50,
      plugin: 'q1',
      command: 'STATUS',
    });
    expect(calls(await env.invocations()).filter((call) => call.startsWith('STATUS'))).toEqual(['STATUS q1']);
  });

  it('resolves without running anything for lists older than 1.1.0', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1'], { version: '1.0.0' });
    await env.answer('q1', 'STATUS', { exitCode: 1 });
    await expect(env.cni().getStatusNetworkList(list)).resolves.toBeUndefined();
    expect(await env.invocations()).toEqual([]);
  });
});
