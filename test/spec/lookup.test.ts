// Conformance lines C63-C66 (docs/CONFORMANCE.md): finding a plugin binary on the CNI path.

import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPlugin } from '../../src/index.js';
import { createFakeEnv, rejectionOf, shPlugin } from './support.js';

async function dirs(root: string, ...names: string[]): Promise<string[]> {
  const made = names.map((name) => path.join(root, name));
  for (const dir of made) await mkdir(dir, { recursive: true });
  return made;
}

describe('plugin lookup', () => {
  it('C63: the first directory holding a regular file of that name wins (symlinks followed); later ones are not consulted', async () => {
    const env = await createFakeEnv();
    const [d1, d2, store] = await dirs(env.root, 'd1', 'd2', 'store');
    const target = await shPlugin(store!, 'real', 'exit 0');
    await symlink(target, path.join(d1!, 'p'));
    await shPlugin(d2!, 'p', 'exit 0');
    await shPlugin(d2!, 'only2', 'exit 0');
    expect(await findPlugin('p', [d1!, d2!])).toBe(path.join(d1!, 'p'));
    expect(await findPlugin('p', [d2!, d1!])).toBe(path.join(d2!, 'p'));
    expect(await findPlugin('only2', [path.join(env.root, 'missing'), d1!, d2!])).toBe(path.join(d2!, 'only2'));
    await expect(findPlugin('nowhere', [d1!, d2!])).rejects.toMatchObject({
      code: 'ERR_CNI_PLUGIN_NOT_FOUND',
      message: `failed to find plugin "nowhere" in path [${d1} ${d2}]`,
    });
  });

  it.each([
    ['a/b', 'invalid plugin name'],
    ['/usr/bin/true', 'invalid plugin name'],
    ['', 'no plugin name provided'],
  ])('C64: the type %j fails with "%s"', async (type, message) => {
    const env = await createFakeEnv();
    const error = await rejectionOf(findPlugin(type, [env.binDir]));
    expect(error.code).toBe('ERR_CNI_INVALID_ARG');
    expect(error.message).toContain(message);
  });

  it('C64: an empty path list fails with its own error before any search', async () => {
    const error = await rejectionOf(findPlugin('bridge', []));
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN_NOT_FOUND', plugin: 'bridge', paths: [] });
    expect(error.message).toContain('no plugin directories configured');
  });

  it('C65: a directory named like the plugin is skipped', async () => {
    const env = await createFakeEnv();
    const [d1, d2] = await dirs(env.root, 'd1', 'd2');
    await mkdir(path.join(d1!, 'p'));
    await shPlugin(d2!, 'p', 'exit 0');
    expect(await findPlugin('p', [d1!, d2!])).toBe(path.join(d2!, 'p'));
    await expect(findPlugin('p', [d1!])).rejects.toMatchObject({ code: 'ERR_CNI_PLUGIN_NOT_FOUND' });
  });

  it('C66: a file that is not executable is skipped, and named when nothing better is found', async () => {
    const env = await createFakeEnv();
    const [d1, d2] = await dirs(env.root, 'd1', 'd2');
    const plain = path.join(d1!, 'p');
    await writeFile(plain, '#!/bin/sh\nexit 0\n');
    await chmod(plain, 0o644);
    await shPlugin(d2!, 'p', 'exit 0');
    expect(await findPlugin('p', [d1!, d2!])).toBe(path.join(d2!, 'p'));
    const error = await rejectionOf(findPlugin('p', [d1!]));
    expect(error.code).toBe('ERR_CNI_PLUGIN_NOT_FOUND');
    expect(error.message).toContain(`not executable: ${plain}`);
  });
});
