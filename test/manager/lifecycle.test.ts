import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NetworkManager, watchNetworks, type NetworkState } from '../../src/index.js';
import { createWorld } from './world.js';

const BUILT = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

describe('NetworkManager lifecycle', () => {
  it('rejects options it cannot use', () => {
    expect(() => new NetworkManager({ confDir: '' })).toThrow(expect.objectContaining({ code: 'ERR_CNI_INVALID_ARG' }));
    expect(() => new NetworkManager({ confDir: '/x', debounce: -1 })).toThrow('Expected `debounce` to be a number >= 0, got -1');
    expect(() => new NetworkManager({ confDir: '/x', onUnusable: 'later' as never })).toThrow(expect.objectContaining({ code: 'ERR_CNI_INVALID_ARG' }));
  });

  it('reports "not scanned yet" before the first scan', () => {
    const manager = new NetworkManager({ confDir: '/nonexistent/net.d', path: [] });
    expect(manager.status()).toEqual({ ready: false, reasons: ['config directory /nonexistent/net.d not scanned yet'] });
    expect(manager.state.generation).toBe(0);
  });

  it('yields each new state from the async iterator and ends it on close', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    const manager = await world.manager();
    const seen: NetworkState[] = [];
    const reading = (async () => {
      for await (const state of manager) {
        seen.push(state);
        if (state.ready) await manager.close();
      }
    })();
    await world.config('10-a.conflist', world.list('neta', ['okplug']));
    await reading;
    expect(seen.at(-1)?.defaultNetwork?.name).toBe('neta');
    expect(manager.closed).toBe(true);
  });

  it('ends the iterator of changes() when its signal fires', async () => {
    const world = await createWorld();
    const manager = await world.manager();
    const controller = new AbortController();
    const reading = (async () => {
      const states: NetworkState[] = [];
      for await (const state of manager.changes({ signal: controller.signal })) states.push(state);
      return states;
    })();
    controller.abort();
    expect(await reading).toEqual([]);
  });

  it('releases its watches and timers on dispose', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    const count = (kind: string) => process.getActiveResourcesInfo().filter((name) => name === kind).length;
    const before = { watches: count('FSEventWrap'), timers: count('Timeout') };
    {
      await using manager = await watchNetworks({ confDir: world.confDir, path: [world.binDir], debounce: 20, rescanInterval: 60_000 });
      expect(manager.status()).toEqual({ ready: false, reasons: [`no network config in ${world.confDir}`] });
      expect({ watches: count('FSEventWrap'), timers: count('Timeout') }).toEqual({ watches: before.watches + 2, timers: before.timers + 1 });
    }
    // Closed handles leave the list on a later turn of the event loop.
    const now = () => ({ watches: count('FSEventWrap'), timers: count('Timeout') });
    for (let turn = 0; turn < 100 && now().watches > before.watches; turn++) await new Promise((resolve) => setTimeout(resolve, 10));
    // Timers of other code in this worker may come and go meanwhile; none of the manager's stays.
    expect(now().watches).toBe(before.watches);
    expect(now().timers).toBeLessThanOrEqual(before.timers);
  });

  it.skipIf(!existsSync(BUILT))('lets a process exit on its own after close()', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    await world.config('10-a.conflist', world.list('neta', ['okplug']));
    const script = `
      const { watchNetworks } = await import(${JSON.stringify(BUILT)});
      const manager = await watchNetworks({ confDir: ${JSON.stringify(world.confDir)}, path: [${JSON.stringify(world.binDir)}], rescanInterval: 1000 });
      console.log(JSON.stringify(manager.status()));
      await manager.close();
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('still running after 20 s');
      }, 20_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve(code ?? 'killed');
      });
    });
    expect({ exit, stderr }).toEqual({ exit: 0, stderr: '' });
    expect(JSON.parse(stdout)).toEqual({ ready: true, reasons: [] });
  });

  it('stops scanning after close and resolves rescan() with the last state', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    const manager = await world.manager();
    await manager.close();
    await world.config('10-a.conflist', world.list('neta', ['okplug']));
    const state = await manager.rescan();
    expect(state.ready).toBe(false);
    await manager.close();
  });
});
