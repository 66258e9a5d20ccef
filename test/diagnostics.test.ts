import diagnostics from 'node:diagnostics_channel';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CHANNEL_NAMES } from '../src/index.js';
import { RT, installChain } from './helpers/chain.js';
import { calls, createFakeEnv } from './helpers/fake-env.js';

type Event = [channel: string, message: Record<string, unknown>];

function record(names: readonly string[]): Event[] {
  const events: Event[] = [];
  for (const name of names) {
    const listener = (message: unknown) => events.push([name, message as Record<string, unknown>]);
    diagnostics.subscribe(name, listener);
    onTestFinished(() => {
      diagnostics.unsubscribe(name, listener);
    });
  }
  return events;
}

describe('diagnostics channels', () => {
  it('publishes start and finish for each plugin, in chain order', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2']);
    const events = record(['cni:plugin:start', 'cni:plugin:finish', 'cni:cache:write']);
    await env.cni().addNetworkList(list, RT);
    await env.cni().delNetworkList(list, RT);

    expect(events.map(([name, message]) => `${name} ${String(message['command'] ?? '')} ${String(message['plugin'] ?? '')}`.trim())).toEqual([
      'cni:plugin:start ADD q1',
      'cni:plugin:finish ADD q1',
      'cni:plugin:start ADD q2',
      'cni:plugin:finish ADD q2',
      'cni:cache:write',
      'cni:plugin:start DEL q2',
      'cni:plugin:finish DEL q2',
      'cni:plugin:start DEL q1',
      'cni:plugin:finish DEL q1',
    ]);
    expect(events[0]![1]).toMatchObject({ network: 'chainnet', file: `${env.binDir}/q1`, stdin: (await env.invocations())[0]!.stdin });
    expect(events[1]![1]).toMatchObject({ network: 'chainnet', exitCode: 0 });
  });

  it('publishes plugin:error for a failing plugin', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    await env.answer('q1', 'ADD', { stdout: '{"code":7,"msg":"bad"}', exitCode: 1 });
    const events = record(['cni:plugin:error']);
    await expect(env.cni({ rollbackOnFailure: false }).addNetworkList(list, RT)).rejects.toThrow('bad');
    expect(events).toHaveLength(1);
    expect(events[0]![1]).toMatchObject({ command: 'ADD', plugin: 'q1', error: { cniCode: 7 } });
  });

  it('lets a subscriber abort between plugins, and the ADD is still rolled back', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2']);
    const controller = new AbortController();
    const listener = (message: unknown) => {
      if ((message as { plugin?: string }).plugin === 'q1') controller.abort('enough');
    };
    diagnostics.subscribe('cni:plugin:finish', listener);
    onTestFinished(() => {
      diagnostics.unsubscribe('cni:plugin:finish', listener);
    });
    await expect(env.cni().addNetworkList(list, RT, { signal: controller.signal })).rejects.toMatchObject({
      code: 'ERR_CNI_ABORTED',
      rollback: { ok: true },
    });
    expect(calls(await env.invocations())).toEqual(['ADD q1', 'DEL q2', 'DEL q1']);
  });

  it('names every channel cni:<area>:<event>', () => {
    for (const name of CHANNEL_NAMES) expect(name).toMatch(/^cni:[a-z]+:[a-z]+$/);
  });
});
