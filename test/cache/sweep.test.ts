import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfList, sweepTempFiles } from '../../src/index.js';
import { createFakeEnv } from '../helpers/fake-env.js';

// A PID above Linux's maximum (2^22) never names a live process.
const DEAD = 4_194_305;

describe('sweepTempFiles', () => {
  it('removes the temporary files of writers that are gone and keeps those of live ones', async () => {
    const env = await createFakeEnv();
    const results = path.join(env.cacheDir, 'results');
    await mkdir(results, { recursive: true });
    const dead = `.neta-ctr1-eth0.${DEAD}.0a1b2c3d4e5f.tmp`;
    const live = `.neta-ctr2-eth0.${process.pid}.0a1b2c3d4e5f.tmp`;
    for (const name of [dead, live, 'neta-ctr3-eth0', '.not-ours']) await writeFile(path.join(results, name), '{"kind":');

    expect(await sweepTempFiles(env.cacheDir)).toBe(1);
    expect((await readdir(results)).sort()).toEqual([live, '.not-ours', 'neta-ctr3-eth0'].sort());
  });

  it('runs as part of GC', async () => {
    const env = await createFakeEnv();
    const results = path.join(env.cacheDir, 'results');
    await mkdir(results, { recursive: true });
    await writeFile(path.join(results, `.neta-ctr1-eth0.${DEAD}.abcdef012345.tmp`), '');
    await env.install('rec', 'recorder');
    const list = parseConfList('{"cniVersion":"1.0.0","name":"neta","plugins":[{"type":"rec"}]}');
    await env.cni().gcNetworkList(list, { validAttachments: [] });
    expect(await readdir(results)).toEqual([]);
  });

  it('is fine with no cache directory at all', async () => {
    const env = await createFakeEnv();
    expect(await sweepTempFiles(path.join(env.root, 'nowhere'))).toBe(0);
  });
});
