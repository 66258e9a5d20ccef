// Serialisation of operations on one attachment (in one process and across processes), GC against
// in-flight ADDs, the concurrency bound, and lock waits bounded by the call's timeout. Overlap is
// judged by the order of the lines the `rec` plugin logs, never by how long things took.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCniError } from '../../src/index.js';
import {
  NOTHING_LEFT,
  createWorld,
  eventually,
  maxOverlap,
  processState,
  settledLeftovers,
  startWorker,
  starts,
  waitForLog,
  type LogLine,
  type World,
} from './support.js';

const NETNS = '/var/run/netns/rel-none';

function rt(containerId: string, args: Record<string, string> = {}) {
  return { containerId, ifName: 'eth0', netns: NETNS, args };
}

/** The runs of `command` as [start index, end index] pairs, keyed by the plugin PID. */
function intervals(lines: readonly LogLine[], command: string): [number, number][] {
  const open = new Map<number, number>();
  const done: [number, number][] = [];
  lines.forEach((line, index) => {
    if (line.command !== command) return;
    if (line.phase === 'start') open.set(line.pid, index);
    if (line.phase === 'end') {
      done.push([open.get(line.pid)!, index]);
      open.delete(line.pid);
    }
  });
  return done.sort((a, b) => a[0] - b[0]);
}

function disjoint(spans: readonly [number, number][]): boolean {
  return spans.every((span, i) => i === 0 || spans[i - 1]![1] < span[0]);
}

async function cleanUp(world: World, containers: readonly string[]): Promise<void> {
  const { list } = world.list(['rec']);
  const cni = world.cni();
  for (const containerId of containers) await cni.delNetworkList(list, rt(containerId));
}

describe('one attachment, two processes', () => {
  it('serialises an ADD and a DEL from different processes on the same attachment', async () => {
    const world = await createWorld();
    await world.install('rec');
    const { text } = world.list(['rec']);
    const a = await startWorker(world, text, [{ op: 'add' as const, rt: rt('ctr1', { ADD_SLEEP: '0.3', DEL_SLEEP: '0.3' }) }]);
    const b = await startWorker(world, text, [{ op: 'del' as const, rt: rt('ctr1', { ADD_SLEEP: '0.3', DEL_SLEEP: '0.3' }) }]);
    await Promise.all([a.ready, b.ready]);
    a.go();
    b.go();
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.results).toEqual([expect.objectContaining({ ok: true })]);
    expect(rb.results).toEqual([expect.objectContaining({ ok: true })]);

    const log = await world.log();
    const firstEnd = log.findIndex((line) => line.phase === 'end');
    // Both processes asked before the first plugin run ended, so they really contended...
    expect(log.slice(0, firstEnd).filter((line) => line.phase === 'want')).toHaveLength(2);
    // ...and the two plugin runs did not overlap.
    const spans = [...intervals(log, 'ADD'), ...intervals(log, 'DEL')].sort((x, y) => x[0] - y[0]);
    expect(spans).toHaveLength(2);
    expect(disjoint(spans)).toBe(true);
    expect(log.filter((line) => line.phase !== 'want').map((line) => line.phase)).toEqual(['start', 'end', 'start', 'end']);

    await cleanUp(world, ['ctr1']);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });

  it('takes over the lock of a process killed while holding it', async () => {
    const world = await createWorld();
    await world.install('rec');
    const { text, list } = world.list(['rec']);
    const holder = await startWorker(world, text, [{ op: 'add', rt: rt('ctr1', { ADD_SLEEP: '20' }) }]);
    await holder.ready;
    holder.go();
    const running = await waitForLog(world, { phase: 'start', command: 'ADD', containerId: 'ctr1' });
    const lockFile = path.join(world.cacheDir, 'locks', 'relnet', 'ctr1-eth0.lock');
    expect(existsSync(lockFile)).toBe(true);

    holder.kill();
    const ended = await holder.done;
    expect(ended.signal).toBe('SIGKILL');
    expect(existsSync(lockFile)).toBe(true); // nobody released it
    // The dead runtime's plugin is still running in its own process group; end it (we started it).
    process.kill(-running.pid, 'SIGKILL');

    const started = Date.now();
    await world.cni().addNetworkList(list, rt('ctr1'), { timeout: 5_000 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(starts(await world.log(), ['ADD'])).toEqual(['ADD ctr1', 'ADD ctr1']);

    await cleanUp(world, ['ctr1']);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });

  it('takes over the lock of a dead process that nobody has reaped yet (a zombie)', async () => {
    const world = await createWorld();
    await world.install('rec');
    const { text, list } = world.list(['rec']);
    // The worker's parent is a shell that then sleeps without ever waiting for it.
    const holder = await startWorker(world, text, [{ op: 'add', rt: rt('ctr1', { ADD_SLEEP: '20' }) }], {}, { zombieParent: true });
    await holder.ready;
    holder.go();
    const running = await waitForLog(world, { phase: 'start', command: 'ADD', containerId: 'ctr1' });
    const lockFile = path.join(world.cacheDir, 'locks', 'relnet', 'ctr1-eth0.lock');
    expect(existsSync(lockFile)).toBe(true);

    process.kill(holder.pid, 'SIGKILL');
    process.kill(-running.pid, 'SIGKILL');
    expect(await eventually(async () => (await processState(holder.pid)) === 'Z')).toBe(true);
    const started = Date.now();
    await world.cni().addNetworkList(list, rt('ctr1'), { timeout: 5_000 });
    expect(Date.now() - started).toBeLessThan(2_000);

    holder.kill();
    await cleanUp(world, ['ctr1']);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });
});

describe('different attachments', () => {
  it('run in parallel within one process', async () => {
    const world = await createWorld();
    await world.install('rec');
    const { list } = world.list(['rec']);
    const cni = world.cni();
    await Promise.all(['ctr1', 'ctr2'].map((id) => cni.addNetworkList(list, rt(id, { ADD_SLEEP: '0.3' }))));
    const log = await world.log();
    expect(log.slice(0, 2).map((line) => `${line.phase} ${line.containerId}`).sort()).toEqual(['start ctr1', 'start ctr2']);
    expect(maxOverlap(log)).toBe(2);
    await cleanUp(world, ['ctr1', 'ctr2']);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });

  it('run in parallel across processes', async () => {
    const world = await createWorld();
    await world.install('rec');
    const { text } = world.list(['rec']);
    const a = await startWorker(world, text, [{ op: 'add', rt: rt('ctr1', { ADD_SLEEP: '0.3' }) }]);
    const b = await startWorker(world, text, [{ op: 'add', rt: rt('ctr2', { ADD_SLEEP: '0.3' }) }]);
    await Promise.all([a.ready, b.ready]);
    a.go();
    b.go();
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect([ra.results[0]?.ok, rb.results[0]?.ok]).toEqual([true, true]);
    expect(maxOverlap(await world.log())).toBe(2);
    await cleanUp(world, ['ctr1', 'ctr2']);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });
});

describe('GC against an in-flight ADD on the same network', () => {
  const expectAddThenDelThenGc = (log: readonly LogLine[]) => {
    const plugin = log.filter((line) => line.phase !== 'want');
    expect(plugin.map((line) => `${line.phase} ${line.command}`)).toEqual(['start ADD', 'end ADD', 'start DEL', 'end DEL', 'start GC', 'end GC']);
    expect(starts(plugin)).toEqual(['ADD ctr7', 'DEL ctr7', 'GC -']);
  };

  it('waits for an ADD in the same process, then deletes the attachment it was told is invalid', async () => {
    const world = await createWorld();
    await world.install('rec');
    const { list } = world.list(['rec'], { version: '1.1.0' });
    const cni = world.cni();
    const add = cni.addNetworkList(list, rt('ctr7', { ADD_SLEEP: '0.4' }));
    await waitForLog(world, { phase: 'start', command: 'ADD' });
    await cni.gcNetworkList(list, { validAttachments: [] });
    await add;
    expectAddThenDelThenGc(await world.log());
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });

  it('waits for an ADD running in another process', async () => {
    const world = await createWorld();
    await world.install('rec');
    const { list, text } = world.list(['rec'], { version: '1.1.0' });
    const adder = await startWorker(world, text, [{ op: 'add', rt: rt('ctr7', { ADD_SLEEP: '0.4' }) }]);
    await adder.ready;
    adder.go();
    await waitForLog(world, { phase: 'start', command: 'ADD' });
    await world.cni().gcNetworkList(list, { validAttachments: [] });
    const { results } = await adder.done;
    expect(results).toEqual([expect.objectContaining({ ok: true })]);
    expectAddThenDelThenGc(await world.log());
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });
});

describe('the concurrency bound', () => {
  it('never runs more than `concurrency` plugin chains at once', async () => {
    const world = await createWorld();
    await world.install('rec');
    const { list } = world.list(['rec']);
    const cni = world.cni({ concurrency: 2 });
    const ids = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
    await Promise.all(ids.map((id) => cni.addNetworkList(list, rt(id, { ADD_SLEEP: '0.15' }))));
    const log = await world.log();
    expect(log.filter((line) => line.phase === 'start')).toHaveLength(6);
    expect(maxOverlap(log)).toBe(2);
    await Promise.all(ids.map((id) => cni.delNetworkList(list, rt(id))));
    expect(maxOverlap(await world.log())).toBe(2);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });
});

describe('waiting for a lock', () => {
  it('gives up at the call timeout with ERR_CNI_LOCK_TIMEOUT (holder in the same process)', async () => {
    const world = await createWorld();
    await world.install('rec');
    const { list } = world.list(['rec']);
    const cni = world.cni();
    const first = cni.addNetworkList(list, rt('ctr1', { ADD_SLEEP: '1' }));
    await waitForLog(world, { phase: 'start', command: 'ADD' });
    const started = Date.now();
    const error = await cni.addNetworkList(list, rt('ctr1'), { timeout: 200 }).catch((caught: unknown) => caught);
    const waited = Date.now() - started;
    expect(isCniError(error) && error.code).toBe('ERR_CNI_LOCK_TIMEOUT');
    expect((error as Error).message).toMatch(/gave up waiting/);
    expect(waited).toBeGreaterThanOrEqual(150);
    expect(waited).toBeLessThan(900);
    await first;
    expect(starts(await world.log(), ['ADD'])).toEqual(['ADD ctr1']);
    await cleanUp(world, ['ctr1']);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });

  it('gives up at the call timeout with ERR_CNI_LOCK_TIMEOUT (holder in another process)', async () => {
    const world = await createWorld();
    await world.install('rec');
    const { list, text } = world.list(['rec']);
    const holder = await startWorker(world, text, [{ op: 'add', rt: rt('ctr1', { ADD_SLEEP: '1' }) }]);
    await holder.ready;
    holder.go();
    await waitForLog(world, { phase: 'start', command: 'ADD' });
    const started = Date.now();
    const error = await world
      .cni()
      .addNetworkList(list, rt('ctr1'), { timeout: 200 })
      .catch((caught: unknown) => caught);
    const waited = Date.now() - started;
    expect(isCniError(error) && error.code).toBe('ERR_CNI_LOCK_TIMEOUT');
    expect((error as Error).message).toMatch(/ctr1/);
    expect(waited).toBeLessThan(900);
    expect((await holder.done).results).toEqual([expect.objectContaining({ ok: true })]);
    expect(starts(await world.log(), ['ADD'])).toEqual(['ADD ctr1']);
    await cleanUp(world, ['ctr1']);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });
});
