import { once } from 'node:events';
import { chmod, mkdir, open, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NetworkState } from '../../src/index.js';
import { createWorld, recordStates, summary, waitForState } from './world.js';

describe('NetworkManager watching the config directory', () => {
  it('picks up a file created after start', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    const manager = await world.manager();
    expect(manager.status()).toEqual({ ready: false, reasons: [`no network config in ${world.confDir}`] });

    await world.config('10-a.conflist', world.list('neta', ['okplug']));
    const state = await waitForState(manager, (s) => s.ready);
    expect(summary(state)).toMatchObject({ defaultNetwork: { name: 'neta', file: '10-a.conflist' }, networks: ['10-a.conflist:neta'] });
  });

  it('sees a file rewritten in place', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    await world.config('10-a.conflist', world.list('neta', ['okplug']));
    const manager = await world.manager();
    expect(manager.defaultNetwork?.name).toBe('neta');

    await world.config('10-a.conflist', world.list('renamed', ['okplug']));
    const state = await waitForState(manager, (s) => s.defaultNetwork?.name === 'renamed');
    expect(state.networks.map((entry) => entry.name)).toEqual(['renamed']);
  });

  it('sees a file renamed into place and never reads the temporary file', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    const manager = await world.manager();
    const states = recordStates(manager);

    const temp = path.join(world.confDir, '.tmp-20-b');
    await writeFile(temp, JSON.stringify(world.list('netb', ['okplug'])));
    await writeFile(path.join(world.confDir, '07-x.conflist.tmp'), '{"cniVersion":"1.0.0","name":"par');
    await rename(temp, path.join(world.confDir, '20-b.conflist'));

    const state = await waitForState(manager, (s) => s.ready);
    expect(summary(state).networks).toEqual(['20-b.conflist:netb']);
    expect(states.flatMap((s) => [...s.skipped.map((entry) => entry.file), ...s.pending])).toEqual([]);
  });

  it('follows a symbolic link to a config file and reports one that leads nowhere', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    const manager = await world.manager();
    const srv = path.join(world.root, 'srv');
    await mkdir(srv);
    await writeFile(path.join(srv, 'c.conflist'), JSON.stringify(world.list('netc', ['okplug'])));

    await symlink(path.join(srv, 'c.conflist'), path.join(world.confDir, '30-c.conflist'));
    expect(summary(await waitForState(manager, (s) => s.ready)).networks).toEqual(['30-c.conflist:netc']);

    const dangling = path.join(world.confDir, '20-gone.conflist');
    await symlink(path.join(srv, 'gone.conflist'), dangling);
    const state = await waitForState(manager, (s) => s.skipped.length > 0);
    expect(state.skipped).toEqual([
      { file: dangling, kind: 'invalid', reason: `${dangling}: symbolic link to ${path.join(srv, 'gone.conflist')}, which does not exist` },
    ]);
    expect(state.defaultNetwork?.name).toBe('netc');
  });

  it('notices a chmod that makes a plugin executable', async () => {
    const world = await createWorld();
    await world.plugin('okplug', { mode: 0o644 });
    await world.config('10-a.conflist', world.list('neta', ['okplug']));
    const manager = await world.manager();
    expect(summary(manager.state)).toMatchObject({ ready: false, skipped: [{ file: '10-a.conflist', kind: 'plugin-missing' }] });
    expect(manager.state.reasons[1]).toContain('(not executable:');

    await chmod(path.join(world.binDir, 'okplug'), 0o755);
    const state = await waitForState(manager, (s) => s.ready);
    expect(state.defaultNetwork?.name).toBe('neta');
  });

  it('notices a plugin installed into the plugin directory', async () => {
    const world = await createWorld();
    await world.config('10-a.conflist', world.list('neta', ['lateplug']));
    const manager = await world.manager();
    expect(manager.state.skipped.map((entry) => entry.kind)).toEqual(['plugin-missing']);

    await world.plugin('lateplug');
    expect((await waitForState(manager, (s) => s.ready)).defaultNetwork?.name).toBe('neta');
  });

  it('reports not ready again when the only file is deleted', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    const file = await world.config('10-a.conflist', world.list('neta', ['okplug']));
    const manager = await world.manager();
    expect(manager.status().ready).toBe(true);

    await unlink(file);
    const state = await waitForState(manager, (s) => !s.ready);
    expect(state.reasons).toEqual([`no network config in ${world.confDir}`]);
    expect(state.defaultNetwork).toBeUndefined();
  });

  it('survives the config directory being deleted and created again', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    await world.config('10-a.conflist', world.list('neta', ['okplug']));
    const manager = await world.manager();

    await rm(world.confDir, { recursive: true });
    const gone = await waitForState(manager, (s) => !s.ready);
    expect(gone.reasons).toEqual([`no network config in ${world.confDir} (the directory does not exist)`]);

    await mkdir(world.confDir);
    await world.config('20-b.conflist', world.list('netb', ['okplug']));
    const back = await waitForState(manager, (s) => s.ready);
    expect(summary(back).networks).toEqual(['20-b.conflist:netb']);

    // The new directory is watched too, not only found once.
    await world.config('05-c.conflist', world.list('netc', ['okplug']));
    expect((await waitForState(manager, (s) => s.defaultNetwork?.name === 'netc')).networks).toHaveLength(2);
  });

  it('starts on a config directory that does not exist yet, below a missing parent', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    const confDir = path.join(world.root, 'etc', 'cni', 'net.d');
    const manager = await world.manager({ confDir });
    expect(manager.status().reasons).toEqual([`no network config in ${confDir} (the directory does not exist)`]);

    await mkdir(confDir, { recursive: true });
    await writeFile(path.join(confDir, '10-a.conf'), JSON.stringify({ cniVersion: '1.0.0', name: 'neta', type: 'okplug' }));
    expect((await waitForState(manager, (s) => s.ready)).defaultNetwork?.file).toBe(path.join(confDir, '10-a.conf'));
  });

  it('never reports a file written in two halves as broken, only its final state', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    const manager = await world.manager({ settle: 60_000 });
    const states = recordStates(manager);
    const text = JSON.stringify(world.list('neta', ['okplug']));
    const file = path.join(world.confDir, '10-a.conflist');

    const handle = await open(file, 'w');
    try {
      await handle.write(text.slice(0, text.length / 2));
      // Wait until the manager has read the first half (and held it back) before finishing.
      await waitForState(manager, (s) => s.pending.includes(file));
      await handle.write(text.slice(text.length / 2));
    } finally {
      await handle.close();
    }

    const state = await waitForState(manager, (s) => s.ready);
    expect(summary(state)).toMatchObject({ networks: ['10-a.conflist:neta'], skipped: [], pending: [] });
    expect(states.flatMap((s) => s.skipped)).toEqual([]);
    expect(states.every((s) => s.reasons.every((reason) => !reason.includes('invalid JSON')))).toBe(true);
  });

  it('keeps the last good content of a file while it is being rewritten', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    await world.config('10-a.conflist', world.list('old', ['okplug']));
    const manager = await world.manager({ settle: 60_000 });
    const text = JSON.stringify(world.list('new', ['okplug']));
    const file = path.join(world.confDir, '10-a.conflist');

    const handle = await open(file, 'w');
    try {
      await handle.write(text.slice(0, 20));
      const during = await waitForState(manager, (s) => s.pending.includes(file));
      expect(summary(during)).toMatchObject({ ready: true, defaultNetwork: { name: 'old' }, skipped: [] });
      await handle.write(text.slice(20));
    } finally {
      await handle.close();
    }
    expect((await waitForState(manager, (s) => s.defaultNetwork?.name === 'new')).pending).toEqual([]);
  });

  it('reports a file that stays broken once it has settled', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    const manager = await world.manager({ settle: 200 });
    const file = await world.config('10-a.conflist', '{"cniVersion":"1.0.0","name":');

    const state = await waitForState(manager, (s) => s.skipped.length > 0);
    expect(state.pending).toEqual([]);
    expect(state.reasons[0]).toBe(`no usable network config in ${world.confDir}`);
    expect(state.reasons[1]).toMatch(new RegExp(`^${file}: invalid JSON`));
  });

  it('rescans on a timer, which catches what the watches cannot see', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    await world.plugin('extra');
    await world.config('10-a.conflist', world.list('neta', ['okplug']));
    const manager = await world.manager({ rescanInterval: 100 });
    expect(manager.defaultNetwork?.list.plugins).toHaveLength(1);

    // Plugin objects in <dir>/<network name>/ join the list; that folder is not watched.
    await mkdir(path.join(world.confDir, 'neta'));
    await writeFile(path.join(world.confDir, 'neta', '20-extra.conf'), '{"type":"extra"}');
    const state = await waitForState(manager, (s) => s.defaultNetwork?.list.plugins.length === 2);
    expect(state.defaultNetwork?.plugins).toEqual([path.join(world.binDir, 'okplug'), path.join(world.binDir, 'extra')]);

    const [scanned] = (await once(manager, 'scan', { signal: AbortSignal.timeout(10_000) })) as [NetworkState];
    expect(scanned.generation).toBe(state.generation);
  });
});
