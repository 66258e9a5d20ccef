// Every plugin run ends: at the plugin timeout (whole process group, SIGTERM then SIGKILL), when
// the caller aborts, or when it prints too much; the rollback after a timed-out ADD has its own
// deadline; a binary that is briefly busy being written is retried with a fresh process.

import { open } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { isCniError, type CniError } from '../../src/index.js';
import { NOTHING_LEFT, createWorld, eventually, isAlive, settledLeftovers, starts, waitForFile, waitForLog } from './support.js';

const RT = { containerId: 'ctr1', ifName: 'eth0', netns: '/var/run/netns/rel-none' };

async function rejection(promise: Promise<unknown>): Promise<CniError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (caught: unknown) => caught,
  );
  if (!isCniError(error)) throw error;
  return error;
}

async function allGone(pids: readonly number[]): Promise<boolean> {
  return eventually(async () => (await Promise.all(pids.map(isAlive))).every((alive) => !alive), 3_000);
}

describe('a plugin that hangs', () => {
  it('times out with ERR_CNI_TIMEOUT and its whole process group is gone', async () => {
    const world = await createWorld();
    await world.install('forker');
    const { list } = world.list(['forker']);
    const started = Date.now();
    const error = await rejection(world.cni({ pluginTimeout: 300, killGrace: 500 }).addNetworkList(list, RT));
    expect(error.code).toBe('ERR_CNI_TIMEOUT');
    expect(error.message).toMatch(/plugin type="forker".*timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(3_000);
    const pids = (await waitForFile(path.join(world.recDir, 'forker.pids'))).trim().split(' ').map(Number);
    expect(pids).toHaveLength(2);
    expect(await allGone(pids)).toBe(true);
    expect(error.rollback).toEqual({ ok: true });
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });

  it('gets SIGKILL after killGrace when it ignores SIGTERM', async () => {
    const world = await createWorld();
    await world.install('stubborn');
    const { list } = world.list(['stubborn']);
    const started = Date.now();
    const error = await rejection(world.cni({ pluginTimeout: 200, killGrace: 400 }).addNetworkList(list, RT));
    const took = Date.now() - started;
    expect(error.code).toBe('ERR_CNI_TIMEOUT');
    // It saw the SIGTERM and carried on; only the SIGKILL a grace period later ended it.
    expect(await waitForFile(path.join(world.recDir, 'stubborn.log'))).toMatch(/^TERM$/m);
    expect(took).toBeGreaterThanOrEqual(200 + 400 - 50);
    expect(took).toBeLessThan(3_000);
    const pid = Number(await waitForFile(path.join(world.recDir, 'stubborn.pid')));
    expect(await allGone([pid])).toBe(true);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });
});

describe('the caller aborts', () => {
  it('stops the running plugin with ERR_CNI_ABORTED and keeps the reason as cause', async () => {
    const world = await createWorld();
    await world.install('hang', 'misbehave');
    const { list } = world.list(['hang']);
    const controller = new AbortController();
    const call = world.cni({ killGrace: 300 }).addNetworkList(list, RT, { signal: controller.signal });
    const pid = Number(await waitForFile(path.join(world.recDir, 'hang.pid')));
    const reason = new Error('runtime shutting down');
    controller.abort(reason);
    const error = await rejection(call);
    expect(error.code).toBe('ERR_CNI_ABORTED');
    expect(error.message).toMatch(/plugin type="hang".*aborted/);
    expect(error.cause).toBe(reason);
    expect(await allGone([pid])).toBe(true);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });

  it('does not start anything when the signal has already fired', async () => {
    const world = await createWorld();
    await world.install('rec');
    const { list } = world.list(['rec']);
    const error = await rejection(world.cni().addNetworkList(list, RT, { signal: AbortSignal.abort(new Error('too late')) }));
    expect(error.code).toBe('ERR_CNI_ABORTED');
    expect(await world.log()).toEqual([]);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });
});

describe('a plugin that floods its output', () => {
  it('is killed with ERR_CNI_PLUGIN_EXEC once past maxOutputBytes', async () => {
    const world = await createWorld();
    await world.install('flood', 'misbehave');
    const { list } = world.list(['flood']);
    const error = await rejection(world.cni({ maxOutputBytes: 64 * 1024 }).addNetworkList(list, RT));
    expect(error.code).toBe('ERR_CNI_PLUGIN_EXEC');
    expect(error.message).toMatch(/plugin type="flood".*more output than allowed/);
    expect(error.message.length).toBeLessThan(2_000);
    expect((error as CniError & { stdout: string }).stdout.length).toBeLessThanOrEqual(64 * 1024 + 1);
    const pid = Number(await waitForFile(path.join(world.recDir, 'flood.pid')));
    expect(await allGone([pid])).toBe(true);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });
});

describe('rollback after a timed-out ADD', () => {
  it('runs DEL with its own deadline although the call signal has already expired', async () => {
    const world = await createWorld();
    await world.install('rec');
    const { list } = world.list(['rec']);
    const rt = { ...RT, args: { ADD_SLEEP: '5' } };
    const error = await rejection(world.cni({ killGrace: 200 }).addNetworkList(list, rt, { timeout: 300 }));
    expect(error.code).toBe('ERR_CNI_TIMEOUT');
    expect(starts(await world.log())).toEqual(['ADD ctr1', 'DEL ctr1']);
    expect(error.rollback).toEqual({ ok: true });
    expect(error.message).toMatch(/rolled back/);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });

  it('gives the rollback DEL at most cleanupTimeout, then reports that it failed', async () => {
    const world = await createWorld();
    await world.install('rec');
    const { list } = world.list(['rec']);
    const rt = { ...RT, args: { ADD_SLEEP: '5', DEL_SLEEP: '5' } };
    const started = Date.now();
    const error = await rejection(world.cni({ killGrace: 200, cleanupTimeout: 300 }).addNetworkList(list, rt, { timeout: 300 }));
    const took = Date.now() - started;
    expect(error.code).toBe('ERR_CNI_TIMEOUT');
    expect(starts(await world.log())).toEqual(['ADD ctr1', 'DEL ctr1']);
    expect(error.rollback?.ok).toBe(false);
    expect(error.message).toMatch(/rollback DEL failed too/);
    expect(took).toBeGreaterThanOrEqual(550);
    expect(took).toBeLessThan(3_000);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });
});

describe('a plugin binary that is busy being written (ETXTBSY)', () => {
  it('is retried with a fresh process and succeeds once the writer is done', async () => {
    const world = await createWorld();
    const file = await world.install('rec', 'rec', { copy: true });
    const { list } = world.list(['rec']);
    const writer = await open(file, 'r+');
    const started = Date.now();
    const add = world.cni().addNetworkList(list, RT);
    await sleep(300);
    await writer.close();
    await add;
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    // Exactly one run got through: the busy attempts never started a plugin.
    expect(starts(await world.log())).toEqual(['ADD ctr1']);
    await world.cni().delNetworkList(list, RT);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });

  it('gives up with ERR_CNI_PLUGIN_EXEC when the binary stays busy', async () => {
    const world = await createWorld();
    const file = await world.install('rec', 'rec', { copy: true });
    const { list } = world.list(['rec']);
    const writer = await open(file, 'r+');
    try {
      const error = await rejection(world.cni({ rollbackOnFailure: false }).addNetworkList(list, RT));
      expect(error.code).toBe('ERR_CNI_PLUGIN_EXEC');
      expect(error.message).toMatch(/could not be started.*ETXTBSY/);
    } finally {
      await writer.close();
    }
    expect(await world.log()).toEqual([]);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });
});

describe('a plugin that only hangs later', () => {
  it('does not block the next operation on the same attachment once it timed out', async () => {
    const world = await createWorld();
    await world.install('rec');
    const { list } = world.list(['rec']);
    const cni = world.cni({ pluginTimeout: 300, killGrace: 200 });
    const first = rejection(cni.addNetworkList(list, { ...RT, args: { ADD_SLEEP: '5' } }));
    await waitForLog(world, { phase: 'start', command: 'ADD' });
    const second = cni.addNetworkList(list, RT);
    expect((await first).code).toBe('ERR_CNI_TIMEOUT');
    await second;
    expect(starts(await world.log())).toEqual(['ADD ctr1', 'DEL ctr1', 'ADD ctr1']);
    await cni.delNetworkList(list, RT);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });
});
