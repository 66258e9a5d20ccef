import { utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWorld, summary, waitForState } from './world.js';

describe('NetworkManager default network', () => {
  it('takes the first valid file in byte-wise order across .conf, .conflist and .json', async () => {
    const world = await createWorld();
    await world.plugin('main');
    await world.plugin('portmap');
    // Created in reverse order, so the directory's own order cannot be what decides.
    await world.config('10-net.conf', { cniVersion: '1.0.0', name: 'net', type: 'main' });
    await world.config('05-broken.conf', '{"cniVersion":"1.0.0","name":');
    await world.config('00-net.conflist', {
      cniVersion: '1.0.0',
      name: 'net',
      plugins: [{ type: 'main' }, { type: 'portmap', capabilities: { portMappings: true } }],
    });
    await world.config('20-other.json', { cniVersion: '1.0.0', name: 'other', type: 'main' });
    await world.config('Z-upper.conf', { cniVersion: '1.0.0', name: 'upper', type: 'main' });
    await world.config('a-lower.conf', { cniVersion: '1.0.0', name: 'lower', type: 'main' });
    await world.config('30-ignored.conf.bak', { cniVersion: '1.0.0', name: 'bak', type: 'main' });

    const manager = await world.manager();
    expect(summary(manager.state)).toEqual({
      ready: true,
      reasons: [],
      defaultNetwork: { name: 'net', file: '00-net.conflist' },
      networks: ['00-net.conflist:net', '20-other.json:other', 'Z-upper.conf:upper', 'a-lower.conf:lower'],
      skipped: [
        { file: '05-broken.conf', kind: 'invalid' },
        { file: '10-net.conf', kind: 'duplicate' },
      ],
      pending: [],
    });
    expect(manager.defaultNetwork?.list.plugins.map((plugin) => plugin.type)).toEqual(['main', 'portmap']);
    expect(manager.state.skipped[1]?.reason).toBe(
      `${path.join(world.confDir, '10-net.conf')}: network "net" is already defined by ${path.join(world.confDir, '00-net.conflist')}; this file is ignored`,
    );
  });

  it('lets the first file of a name win when a later file repeats it', async () => {
    const world = await createWorld();
    await world.plugin('plugA');
    await world.plugin('plugB');
    await world.config('20-second.conflist', world.list('podnet', ['plugB']));
    await world.config('10-first.conflist', world.list('podnet', ['plugA']));
    const manager = await world.manager();
    expect(manager.network('podnet')?.list.plugins[0]?.type).toBe('plugA');
    expect(manager.state.networks).toHaveLength(1);
    expect(summary(manager.state).skipped).toEqual([{ file: '20-second.conflist', kind: 'duplicate' }]);
  });

  it('skips a network whose plugin is missing and says why', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    const main = await world.config('10-main.conflist', world.list('main', ['notinstalled']));
    await world.config('50-fallback.conflist', world.list('fallback', ['okplug']));
    const manager = await world.manager();
    expect(manager.state.ready).toBe(true);
    expect(manager.defaultNetwork?.name).toBe('fallback');
    expect(manager.state.skipped).toEqual([
      {
        file: main,
        network: 'main',
        kind: 'plugin-missing',
        reason: `${main}: plugin "notinstalled" missing from CNI path [${world.binDir}]`,
      },
    ]);

    // Installing the plugin makes the lower-named file the default again, without a restart.
    await world.plugin('notinstalled');
    expect((await waitForState(manager, (s) => s.defaultNetwork?.name === 'main')).skipped).toEqual([]);
  });

  it("with onUnusable 'wait', keeps the first parseable file as the default and waits for its plugins", async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    const main = await world.config('10-main.conflist', world.list('main', ['notinstalled']));
    await world.config('50-fallback.conflist', world.list('fallback', ['okplug']));
    const manager = await world.manager({ onUnusable: 'wait' });
    expect(manager.status()).toEqual({
      ready: false,
      reasons: ['default network "main" cannot be used yet', `${main}: plugin "notinstalled" missing from CNI path [${world.binDir}]`],
    });
    expect(manager.defaultNetwork).toBeUndefined();
    expect(manager.network('fallback')).toBeDefined();

    await world.plugin('notinstalled');
    expect((await waitForState(manager, (s) => s.ready)).defaultNetwork?.name).toBe('main');
  });

  it('uses the network named by the defaultNetwork option', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    await world.config('10-a.conflist', world.list('neta', ['okplug']));
    await world.config('20-b.conflist', world.list('netb', ['okplug']));
    const manager = await world.manager({ defaultNetwork: 'netb' });
    expect(summary(manager.state).defaultNetwork).toEqual({ name: 'netb', file: '20-b.conflist' });
  });

  it('skips a network whose plugin does not speak its version', async () => {
    const world = await createWorld();
    await world.plugin('old', { versions: ['0.3.0', '0.3.1'] });
    await world.plugin('okplug');
    const file = await world.config('10-a.conflist', world.list('neta', ['okplug', 'old'], '1.0.0'));
    await world.config('20-b.conflist', world.list('netb', ['old'], '0.3.1'));
    const manager = await world.manager();
    expect(manager.defaultNetwork?.name).toBe('netb');
    expect(manager.state.skipped).toEqual([
      {
        file,
        network: 'neta',
        kind: 'version-unsupported',
        reason: `${file}: plugin "old" does not support config version "1.0.0" (it supports 0.3.0, 0.3.1)`,
      },
    ]);
  });
});

describe('NetworkManager readiness', () => {
  it('names each cause of not being ready', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    await world.plugin('garbage', { script: 'echo not json' });
    await world.plugin('old', { versions: ['0.3.1'] });
    const a = await world.config('10-a.conflist', '{"cniVersion":"1.0.0",');
    const b = await world.config('20-b.conflist', world.list('netb', ['nothere']));
    const c = await world.config('30-c.conflist', world.list('netc', ['old']));
    const d = await world.config('40-d.conflist', world.list('netd', ['garbage']));
    const e = await world.config('50-e.conf', { cniVersion: '1.0.0', name: 'net e', type: 'okplug' });
    const manager = await world.manager();

    const { ready, reasons } = manager.status();
    expect(ready).toBe(false);
    expect(reasons[0]).toBe(`no usable network config in ${world.confDir}`);
    expect(reasons[1]).toMatch(new RegExp(`^${a}: invalid JSON: `));
    expect(reasons[2]).toBe(`${b}: plugin "nothere" missing from CNI path [${world.binDir}]`);
    expect(reasons[3]).toBe(`${c}: plugin "old" does not support config version "1.0.0" (it supports 0.3.1)`);
    expect(reasons[4]).toMatch(new RegExp(`^${d}: VERSION probe of plugin "garbage" failed: .*not JSON`));
    expect(reasons[5]).toBe(`${e}: Expected network name to start with a letter or digit followed by letters, digits, _ . or -, got "net e"`);
    expect(reasons).toHaveLength(6);
  });

  it('says when the named default network is not there', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    await world.config('10-a.conflist', world.list('neta', ['okplug']));
    const manager = await world.manager({ defaultNetwork: 'wanted' });
    expect(manager.status()).toEqual({ ready: false, reasons: [`network "wanted" not found in ${world.confDir}`] });
  });

  it('says when the named default network cannot be used', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    await world.config('10-a.conflist', world.list('neta', ['okplug']));
    const b = await world.config('20-b.conflist', world.list('wanted', ['missing']));
    const manager = await world.manager({ defaultNetwork: 'wanted' });
    expect(manager.status().reasons).toEqual([
      'default network "wanted" cannot be used yet',
      `${b}: plugin "missing" missing from CNI path [${world.binDir}]`,
    ]);
  });

  it('says when the config path is not a directory', async () => {
    const world = await createWorld();
    const file = path.join(world.root, 'file');
    await writeFile(file, '');
    const manager = await world.manager({ confDir: file });
    expect(manager.status()).toEqual({ ready: false, reasons: [`config path ${file} is not a directory`] });
  });

  it('answers a status query at once while a plugin hangs in its VERSION probe', async () => {
    const world = await createWorld();
    await world.plugin('okplug');
    await world.config('10-a.conflist', world.list('neta', ['okplug']));
    const manager = await world.manager({ probeTimeout: 60_000 });
    expect(manager.status().ready).toBe(true);

    await world.plugin('hang', { script: 'exec sleep 300' });
    await world.config('05-hang.conflist', world.list('hung', ['hang']));
    const scanning = manager.rescan();
    // The scan now waits for the hung plugin; the last computed state is still served.
    for (let tries = 0; (await world.runs('hang')).length === 0; tries++) {
      if (tries > 1000) throw new Error('the hang plugin was never run');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(manager.status()).toEqual({ ready: true, reasons: [] });
    expect(manager.defaultNetwork?.name).toBe('neta');

    // Closing ends the hung probe, and the scan waiting on it.
    await manager.close();
    await scanning;
  });

  it('reports a VERSION probe that times out and asks again on the next scan', async () => {
    const world = await createWorld();
    await world.plugin('hang', { script: 'exec sleep 300' });
    const file = await world.config('10-a.conflist', world.list('hung', ['hang']));
    const manager = await world.manager({ probeTimeout: 200 });
    expect(manager.state.skipped).toEqual([
      expect.objectContaining({ file, kind: 'probe-failed', reason: expect.stringMatching(/VERSION probe of plugin "hang" failed: .*timed out/) }),
    ]);
    await manager.rescan();
    expect(await world.runs('hang')).toEqual(['VERSION', 'VERSION']);
  });

  it('asks each plugin binary for VERSION once until the binary changes', async () => {
    const world = await createWorld();
    const plugin = await world.plugin('okplug');
    await world.config('10-a.conflist', world.list('neta', ['okplug']));
    await world.config('20-b.conflist', world.list('netb', ['okplug']));
    const manager = await world.manager();
    await manager.rescan();
    await manager.rescan();
    expect(await world.runs('okplug')).toEqual(['VERSION']);

    await utimes(plugin, new Date(), new Date(Date.now() + 5_000));
    await manager.rescan();
    expect(await world.runs('okplug')).toEqual(['VERSION', 'VERSION']);
  });
});
