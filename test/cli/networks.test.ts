import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { conflist, expectedContainerId, makeWorld } from './support.js';

describe('cnitool ls', () => {
  it('lists the networks in load order, marks the default and says why files were skipped', async () => {
    const world = await makeWorld();
    await world.plugin('p1');
    await world.plugin('p2');
    const first = await world.config('10-alpha.conflist', conflist('alpha', ['p1', 'p2']));
    const second = await world.config('20-beta.conf', { cniVersion: '0.4.0', name: 'beta', type: 'p1' });
    const broken = await world.config('15-broken.conf', '{nope');
    const duplicate = await world.config('30-again.conflist', conflist('alpha', ['p1']));

    const run = await world.run(['ls']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(
      [
        '   NAME   CNIVERSION  PLUGINS  FILE',
        `*  alpha  1.0.0       p1,p2    ${first}`,
        `   beta   0.4.0       p1       ${second}`,
        '',
        '* the default network (the first valid file whose plugins are all installed)',
        '',
        'skipped 2 files:',
        `  ${broken}: invalid JSON: Expected property name or '}' in JSON at position 1 (line 1 column 2)`,
        `  ${duplicate}: network "alpha" is already defined by ${first}; this file is ignored`,
        '',
      ].join('\n'),
    );

    const json = JSON.parse((await world.run(['ls', '--json'])).stdout);
    expect(json).toEqual({
      dir: world.confDir,
      default: 'alpha',
      networks: [
        { name: 'alpha', cniVersion: '1.0.0', plugins: ['p1', 'p2'], file: first, default: true, missing: [] },
        { name: 'beta', cniVersion: '0.4.0', plugins: ['p1'], file: second, default: false, missing: [] },
      ],
      skipped: [
        { file: broken, error: expect.objectContaining({ code: 'ERR_CNI_CONFIG', cniCode: 6 }) },
        { file: duplicate, error: expect.objectContaining({ code: 'ERR_CNI_CONFIG', cniCode: 7, network: 'alpha' }) },
      ],
    });
  });

  it('makes the first network whose plugins are all installed the default, and names what is missing', async () => {
    const world = await makeWorld();
    await world.plugin('p1');
    const first = await world.config('10-alpha.conflist', conflist('alpha', ['p1', 'gone']));
    const second = await world.config('20-beta.conflist', conflist('beta', ['p1']));
    const run = await world.run(['ls']);
    expect(run.stdout).toBe(
      [
        '   NAME   CNIVERSION  PLUGINS  FILE',
        `   alpha  1.0.0       p1,gone  ${first}  (missing from CNI_PATH: gone)`,
        `*  beta   1.0.0       p1       ${second}`,
        '',
        '* the default network (the first valid file whose plugins are all installed)',
        '',
      ].join('\n'),
    );
    expect(JSON.parse((await world.run(['ls', '--json'])).stdout)).toMatchObject({ default: 'beta', networks: [{ missing: ['gone'] }, { missing: [] }] });
  });

  it('says so for an empty directory and fails for a missing one', async () => {
    const world = await makeWorld();
    expect(await world.run(['ls'])).toMatchObject({ code: 0, stdout: `no valid network configurations in ${world.confDir}\n` });
    expect(JSON.parse((await world.run(['ls', '--json'])).stdout)).toEqual({ dir: world.confDir, default: null, networks: [], skipped: [] });
    const missing = path.join(world.root, 'nowhere');
    expect(await world.run(['ls'], { env: { NETCONFPATH: missing } })).toEqual({
      code: 1,
      signal: null,
      stdout: '',
      stderr: `cnitool: no net configurations found in ${missing} (the directory does not exist) [ERR_CNI_NO_CONFIGS]\n`,
    });
  });
});

describe('cnitool validate', () => {
  it('reports each plugin and the capabilities of a valid network', async () => {
    const world = await makeWorld();
    await world.plugin('p1');
    await world.plugin('p2');
    const file = await world.config('10-net.conflist', {
      cniVersion: '1.0.0',
      name: 'net',
      plugins: [{ type: 'p1' }, { type: 'p2', capabilities: { portMappings: true } }],
    });
    const run = await world.run(['validate', 'net']);
    expect(run).toEqual({
      code: 0,
      signal: null,
      stderr: '',
      stdout: [
        `network net (cniVersion 1.0.0) from ${file}: valid`,
        `  ok    p1  ${path.join(world.binDir, 'p1')}`,
        `  ok    p2  ${path.join(world.binDir, 'p2')}`,
        '  capabilities: portMappings',
        '',
      ].join('\n'),
    });
    expect((await world.runs()).map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual(['p1 VERSION', 'p2 VERSION']);
  });

  it('reports the IPAM plugin each plugin delegates to as its own row', async () => {
    const world = await makeWorld();
    await world.plugin('p1');
    await world.config('10-net.conflist', { cniVersion: '1.0.0', name: 'net', plugins: [{ type: 'p1', ipam: { type: 'gone-ipam' } }] });
    const run = await world.run(['validate', 'net', '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).plugins).toEqual([
      { type: 'p1', path: path.join(world.binDir, 'p1'), ok: true },
      {
        type: 'gone-ipam',
        ipamOf: 'p1',
        path: null,
        ok: false,
        error: expect.objectContaining({ code: 'ERR_CNI_PLUGIN_NOT_FOUND', plugin: 'gone-ipam', network: 'net' }),
      },
    ]);
  });

  it('fails with exit status 1 for a missing plugin or a version a plugin does not support', async () => {
    const world = await makeWorld();
    await world.plugin('old');
    await world.answer('old', 'VERSION', { out: { cniVersion: '0.4.0', supportedVersions: ['0.3.1', '0.4.0'] } });
    const file = await world.config('10-net.conflist', conflist('net', ['old', 'gone']));
    const run = await world.run(['validate', 'net', '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      network: 'net',
      file,
      cniVersion: '1.0.0',
      valid: false,
      capabilities: [],
      plugins: [
        {
          type: 'old',
          path: path.join(world.binDir, 'old'),
          ok: false,
          error: { code: 'ERR_CNI_VERSION', cniCode: 1, message: 'plugin old does not support config version "1.0.0" (it supports 0.3.1, 0.4.0)', network: 'net', plugin: 'old' },
        },
        {
          type: 'gone',
          path: null,
          ok: false,
          error: { code: 'ERR_CNI_PLUGIN_NOT_FOUND', cniCode: null, message: `failed to find plugin "gone" in path [${world.binDir}]`, network: 'net', plugin: 'gone' },
        },
      ],
    });
    const error = JSON.parse(run.stderr).error;
    expect(error).toMatchObject({ code: 'ERR_CNI_MULTIPLE', network: 'net' });
    expect(error.errors.map((entry: { code: string }) => entry.code)).toEqual(['ERR_CNI_VERSION', 'ERR_CNI_PLUGIN_NOT_FOUND']);
  });
});

describe('cnitool status, gc, version', () => {
  it('status exits 0 silently when ready and 1 with the plugin\'s code when not', async () => {
    const world = await makeWorld();
    await world.plugin('p1');
    await world.config('10-net.conflist', conflist('net', ['p1'], '1.1.0'));
    expect(await world.run(['status', 'net'])).toEqual({ code: 0, signal: null, stdout: '', stderr: '' });
    expect((await world.run(['status', 'net', '--json'])).stdout).toBe('{"network":"net","ready":true}\n');
    await world.answer('p1', 'STATUS', { out: { cniVersion: '1.1.0', code: 50, msg: 'no addresses left' }, code: 1 });
    expect(await world.run(['status', 'net'])).toEqual({
      code: 1,
      signal: null,
      stdout: '',
      stderr: 'cnitool: plugin type="p1" name="net" failed (status): no addresses left [ERR_CNI_PLUGIN cni=50]\n',
    });
  });

  it('gc deletes every cached attachment of the network, then sends GC to the plugins', async () => {
    const world = await makeWorld();
    await world.plugin('p1');
    await world.config('10-net.conflist', conflist('net', ['p1'], '1.1.0'));
    await world.config('20-other.conflist', conflist('other', ['p1'], '1.1.0'));
    for (const netns of ['/run/netns/a', '/run/netns/b']) expect((await world.run(['add', 'net', netns])).code).toBe(0);
    expect((await world.run(['add', 'other', '/run/netns/c'])).code).toBe(0);

    const run = await world.run(['gc', 'net', '--json']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const deleted = ['/run/netns/a', '/run/netns/b']
      .map((netns) => ({ containerId: expectedContainerId(netns), ifName: 'eth0', netns }))
      .sort((x, y) => x.containerId.localeCompare(y.containerId));
    expect(JSON.parse(run.stdout)).toEqual({ network: 'net', deleted });
    expect((await world.runs()).slice(3).map((line) => line.split(' ').slice(0, 3).join(' '))).toEqual([
      `p1 DEL ${deleted[0]!.containerId}`,
      `p1 DEL ${deleted[1]!.containerId}`,
      'p1 VERSION -',
      'p1 GC -',
    ]);
    expect(JSON.parse(await world.stdin('p1', 'GC'))).not.toHaveProperty('cni.dev/valid-attachments');
    expect(await readdir(path.join(world.cacheDir, 'results'))).toEqual([`other-${expectedContainerId('/run/netns/c')}-eth0`]);
  });

  it('version prints what the plugin supports, as text or JSON', async () => {
    const world = await makeWorld();
    await world.plugin('p1');
    const file = path.join(world.binDir, 'p1');
    expect(await world.run(['version', 'p1'])).toEqual({
      code: 0,
      signal: null,
      stderr: '',
      stdout: `plugin:             p1 (${file})\ncniVersion:         1.1.0\nsupportedVersions:  0.3.1 0.4.0 1.0.0 1.1.0\n`,
    });
    expect(JSON.parse((await world.run(['version', 'p1', '--json'])).stdout)).toEqual({
      plugin: 'p1',
      file,
      cniVersion: '1.1.0',
      supportedVersions: ['0.3.1', '0.4.0', '1.0.0', '1.1.0'],
    });
  });
});
