// User cases about watching the config directory: B34, B43, B48 (docs/CONFORMANCE.md).

import { chmod, copyFile, mkdir, open, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNetworkList, watchNetworks, type NetworkManager, type NetworkManagerOptions, type NetworkState } from '../../src/index.js';
import { caseWorld, okBody, rejectionOf, type CaseWorld } from './support.js';

/** Resolves once `check` holds for the manager's state (now or after a change); fails after `limitMs`. */
function until(manager: NetworkManager, check: (state: NetworkState) => boolean, limitMs = 5_000): Promise<NetworkState> {
  if (check(manager.state)) return Promise.resolve(manager.state);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      manager.off('change', listener);
      reject(new Error(`state not reached in ${limitMs} ms; last: ${JSON.stringify({ ready: manager.state.ready, reasons: manager.state.reasons })}`));
    }, limitMs);
    const listener = (state: NetworkState) => {
      if (!check(state)) return;
      clearTimeout(timer);
      manager.off('change', listener);
      resolve(state);
    };
    manager.on('change', listener);
  });
}

const base = (file: string | undefined) => (file === undefined ? undefined : path.basename(file));
const RT = { containerId: 'ctr1', netns: '/var/run/netns/ns1', ifName: 'eth0' };

async function watched(w: CaseWorld, options: Partial<NetworkManagerOptions> = {}): Promise<NetworkManager> {
  return watchNetworks({ confDir: w.confDir, path: [w.bin], persistent: false, rescanInterval: 0, ...options });
}

describe('config directory manager cases', () => {
  it('B34: files added after start-up are picked up; half-written and temporary files are never chosen', async () => {
    const w = await caseWorld();
    await w.plugin('okplug', okBody('okplug'));
    await w.config('99-fallback.conf', { cniVersion: '1.0.0', name: 'fallback', type: 'okplug' });
    await using networks = await watched(w);
    expect(networks.defaultNetwork?.name).toBe('fallback');

    await w.config('05-partial.conflist', '{"cniVersion":"1.0.0","name":"par');
    await w.config('07-x.conflist.tmp', '{"cniVersion":"1.0.0","name":"tmp","plugins":[{"type":"okplug"}]}');
    const temp = path.join(w.confDir, '.10-real.tmp');
    await writeFile(temp, JSON.stringify({ cniVersion: '1.0.0', name: 'real', plugins: [{ type: 'okplug' }] }));
    await rename(temp, path.join(w.confDir, '10-real.conflist'));
    const state = await until(networks, (s) => s.defaultNetwork?.name === 'real');
    expect(state.networks.map((entry) => base(entry.file))).toEqual(['10-real.conflist', '99-fallback.conf']);
    // Fresh and unparsable: taken to be still being written, neither chosen nor yet called broken.
    expect(state.pending.map(base)).toEqual(['05-partial.conflist']);
    // Once it has been left alone past `settle`, it is reported as invalid and skipped.
    const settled = await until(networks, (s) => s.skipped.some((entry) => base(entry.file) === '05-partial.conflist'), 5_000);
    expect(settled.skipped).toEqual([expect.objectContaining({ kind: 'invalid', reason: expect.stringMatching(/05-partial\.conflist: invalid JSON/) })]);
    expect(settled.defaultNetwork?.name).toBe('real');
    expect(JSON.stringify(settled)).not.toContain('07-x.conflist.tmp');

    await w.cni().addNetworkList(settled.defaultNetwork!.list, RT);
    expect(await w.log()).toEqual(['ADD']);
  });

  it('B34: with no valid config at all the readiness query says not ready and why; an explicit rescan sees repairs', async () => {
    const w = await caseWorld();
    await w.plugin('okplug', okBody('okplug'));
    const partial = await w.config('05-partial.conflist', '{"cniVersion":"1.0.0","name":"par');
    await using networks = await watched(w, { settle: 0 });
    expect(networks.status()).toEqual({
      ready: false,
      reasons: [`no usable network config in ${w.confDir}`, expect.stringMatching(new RegExp(`^${partial}: invalid JSON`))],
    });
    await writeFile(partial, JSON.stringify({ cniVersion: '1.0.0', name: 'par', plugins: [{ type: 'okplug' }] }));
    const state = await networks.rescan();
    expect(state.ready).toBe(true);
    expect(state.defaultNetwork?.name).toBe('par');

    await rm(partial);
    expect((await networks.rescan()).reasons).toEqual([`no network config in ${w.confDir}`]);
    expect(networks.status().ready).toBe(false);
  });

  it('B43: files that arrive by copy, rename into place, create-then-chmod, or symlink are all picked up', async () => {
    const w = await caseWorld();
    await w.plugin('okplug', okBody('okplug'));
    const source = path.join(w.root, 'ready.conflist');
    await writeFile(source, JSON.stringify({ cniVersion: '1.0.0', name: 'neta', plugins: [{ type: 'okplug' }] }));
    await using networks = await watched(w);
    expect(networks.status().ready).toBe(false);
    const names = (state: NetworkState) => state.networks.map((entry) => `${base(entry.file)}:${entry.name}`);
    const quickly = async (check: (state: NetworkState) => boolean) => {
      const started = Date.now();
      const state = await until(networks, check, 3_000);
      expect(Date.now() - started).toBeLessThan(1_000);
      return state;
    };

    // (a) copied in: create + write.
    await copyFile(source, path.join(w.confDir, '10-a.conflist'));
    expect(names(await quickly((s) => s.networks.length === 1))).toEqual(['10-a.conflist:neta']);

    // (b) written under a dot name, then renamed into place.
    const temp = path.join(w.confDir, '.tmp-x');
    await writeFile(temp, JSON.stringify({ cniVersion: '1.0.0', name: 'netb', plugins: [{ type: 'okplug' }] }));
    await rename(temp, path.join(w.confDir, '20-b.conflist'));
    expect(names(await quickly((s) => s.networks.length === 2))).toEqual(['10-a.conflist:neta', '20-b.conflist:netb']);

    // (c) created with its content and a restrictive mode, then chmod-ed, as install(1) does.
    const installed = path.join(w.confDir, '25-i.conflist');
    const handle = await open(installed, 'wx', 0o600);
    await handle.writeFile(JSON.stringify({ cniVersion: '1.0.0', name: 'neti', plugins: [{ type: 'okplug' }] }));
    await handle.close();
    await chmod(installed, 0o644);
    expect(names(await quickly((s) => s.networks.length === 3)).at(-1)).toBe('25-i.conflist:neti');

    // (d) a symbolic link to a file elsewhere is followed.
    const srv = path.join(w.root, 'srv');
    await mkdir(srv);
    await writeFile(path.join(srv, '30-c.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'netc', plugins: [{ type: 'okplug' }] }));
    await symlink(path.join(srv, '30-c.conflist'), path.join(w.confDir, '30-c.conflist'));
    expect(names(await quickly((s) => s.networks.length === 4)).at(-1)).toBe('30-c.conflist:netc');
    expect(networks.defaultNetwork?.name).toBe('neta');
    expect(networks.state.skipped).toEqual([]);
  });

  it('B43: a dangling symlink and a file with invalid JSON are reported with their paths and skipped', async () => {
    const w = await caseWorld();
    await w.plugin('okplug', okBody('okplug'));
    await w.config('50-ok.conflist', { cniVersion: '1.0.0', name: 'ok', plugins: [{ type: 'okplug' }] });
    await using networks = await watched(w, { settle: 0 });
    const dangling = path.join(w.confDir, '30-gone.conflist');
    await symlink(path.join(w.root, 'srv', 'missing.conflist'), dangling);
    const broken = await w.config('40-bad.conflist', '{"cniVersion":"1.0.0","name":"bad","plugins":[}');
    const state = await until(networks, (s) => s.skipped.length === 2, 3_000);
    expect(state.skipped.map((entry) => [entry.file, entry.kind])).toEqual([
      [dangling, 'invalid'],
      [broken, 'invalid'],
    ]);
    expect(state.skipped[0]!.reason).toContain('does not exist');
    expect(state.skipped[1]!.reason).toMatch(new RegExp(`^${broken}: invalid JSON`));
    expect(state.defaultNetwork?.name).toBe('ok');
    expect(state.ready).toBe(true);
  });

  it('B48: under the "wait" policy a default whose plugin is missing is not ready, never falls back, and recovers by itself', async () => {
    const w = await caseWorld();
    await w.config('10-main.conflist', { cniVersion: '1.0.0', name: 'main', plugins: [{ type: 'notinstalled' }] });
    await w.config('50-fallback.conflist', { cniVersion: '1.0.0', name: 'fallback', plugins: [{ type: 'okplug' }] });
    await w.plugin('okplug', okBody('okplug'));
    await using networks = await watched(w, { onUnusable: 'wait' });
    const main = path.join(w.confDir, '10-main.conflist');
    expect(networks.status()).toEqual({
      ready: false,
      reasons: ['default network "main" cannot be used yet', `${main}: plugin "notinstalled" missing from CNI path [${w.bin}]`],
    });
    expect(networks.defaultNetwork).toBeUndefined();
    expect(networks.network('fallback')).toBeDefined();

    // ADD on the default network fails with the lookup error; nothing runs, nothing falls back.
    const error = await rejectionOf(w.cni().addNetworkList(await loadNetworkList(w.confDir, 'main'), RT));
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN_NOT_FOUND', plugin: 'notinstalled', network: 'main' });
    expect(error.message).toBe(`failed to find plugin "notinstalled" in path [${w.bin}]`);
    expect(await w.log()).toEqual([]);

    // Installing the binary makes it ready, without restarting anything.
    await w.plugin('notinstalled', okBody('notinstalled'));
    const state = await until(networks, (s) => s.ready, 5_000);
    expect(state.defaultNetwork?.name).toBe('main');
  });

  it('B48: the default "skip" policy (CRI-O style) serves the next usable file and names why main was passed over', async () => {
    const w = await caseWorld();
    await w.config('10-main.conflist', { cniVersion: '1.0.0', name: 'main', plugins: [{ type: 'notinstalled' }] });
    await w.config('50-fallback.conflist', { cniVersion: '1.0.0', name: 'fallback', plugins: [{ type: 'okplug' }] });
    await w.plugin('okplug', okBody('okplug'));
    await using networks = await watched(w);
    expect(networks.status().ready).toBe(true);
    expect(networks.defaultNetwork?.name).toBe('fallback');
    expect(networks.state.skipped).toEqual([expect.objectContaining({ network: 'main', kind: 'plugin-missing', reason: expect.stringContaining('"notinstalled"') })]);
  });

  it('B48: a config without cniVersion is not skipped for that reason; only unparsable files are', async () => {
    const w = await caseWorld();
    await w.config('10-noversion.conflist', { name: 'nover', plugins: [{ type: 'okplug' }] });
    await w.config('20-broken.conflist', '{"name":');
    await w.plugin('okplug', okBody('okplug'));
    await using networks = await watched(w, { onUnusable: 'wait', settle: 0 });
    expect(networks.status()).toEqual({ ready: true, reasons: [] });
    expect(networks.defaultNetwork?.name).toBe('nover');
    expect(networks.state.skipped.map((entry) => [base(entry.file), entry.kind])).toEqual([['20-broken.conflist', 'invalid']]);
  });
});
