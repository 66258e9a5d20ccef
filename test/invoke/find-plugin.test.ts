import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPlugin, splitPath, validatePluginType } from '../../src/index.js';
import { createFakeEnv } from '../helpers/fake-env.js';

async function dirs(root: string, ...names: string[]): Promise<string[]> {
  const out = names.map((name) => path.join(root, name));
  await Promise.all(out.map((dir) => mkdir(dir)));
  return out;
}

describe('findPlugin', () => {
  it('returns the plugin in the first directory that has it', async () => {
    const env = await createFakeEnv();
    const [one, two, three] = await dirs(env.root, 'one', 'two', 'three');
    await writeFile(path.join(two!, 'bridge'), '#!/bin/sh\n', { mode: 0o755 });
    await writeFile(path.join(three!, 'bridge'), '#!/bin/sh\n', { mode: 0o755 });
    expect(await findPlugin('bridge', [one!, two!, three!])).toBe(path.join(two!, 'bridge'));
  });

  it('follows a symlink to an executable file', async () => {
    const env = await createFakeEnv();
    const file = await env.install('linked');
    expect(await findPlugin('linked', [env.binDir])).toBe(file);
  });

  it('skips a non-executable file and a directory of that name', async () => {
    const env = await createFakeEnv();
    const [plain, directory, good] = await dirs(env.root, 'plain', 'directory', 'good');
    await writeFile(path.join(plain!, 'bridge'), '#!/bin/sh\n', { mode: 0o644 });
    await mkdir(path.join(directory!, 'bridge'));
    await writeFile(path.join(good!, 'bridge'), '#!/bin/sh\n', { mode: 0o700 });
    expect(await findPlugin('bridge', [plain!, directory!, good!])).toBe(path.join(good!, 'bridge'));
  });

  it('names the non-executable candidates when nothing is found', async () => {
    const env = await createFakeEnv();
    const [plain, empty] = await dirs(env.root, 'plain', 'empty');
    const file = path.join(plain!, 'bridge');
    await writeFile(file, '#!/bin/sh\n');
    await chmod(file, 0o644);
    await expect(findPlugin('bridge', [plain!, empty!])).rejects.toMatchObject({
      code: 'ERR_CNI_PLUGIN_NOT_FOUND',
      name: 'PluginNotFoundError',
      plugin: 'bridge',
      paths: [plain, empty],
      message: `failed to find plugin "bridge" in path [${plain} ${empty}] (not executable: ${file})`,
    });
  });

  it('rejects a missing plugin naming the type and the path', async () => {
    const env = await createFakeEnv();
    await expect(findPlugin('nope', [env.binDir, '/nonexistent-dir'])).rejects.toMatchObject({
      code: 'ERR_CNI_PLUGIN_NOT_FOUND',
      message: `failed to find plugin "nope" in path [${env.binDir} /nonexistent-dir]`,
    });
  });

  it('rejects an empty path list', async () => {
    await expect(findPlugin('bridge', [])).rejects.toMatchObject({
      code: 'ERR_CNI_PLUGIN_NOT_FOUND',
      message: 'failed to find plugin "bridge": no plugin directories configured (set CNI_PATH)',
    });
  });

  it.each(['', '.', '..', '../bridge', 'a/b', '/bin/sh', 'a\\b', 'a\0b'])(
    'rejects the type %j before touching the file system',
    async (type) => {
      const env = await createFakeEnv();
      // "..": the parent of binDir exists and is a directory; a lookup must not even get there.
      await expect(findPlugin(type, [path.join(env.binDir, 'sub')])).rejects.toMatchObject({
        code: 'ERR_CNI_INVALID_ARG',
        cniCode: 7,
      });
    },
  );
});

describe('validatePluginType', () => {
  it('says "no plugin name provided" for an empty type', () => {
    expect(() => validatePluginType('')).toThrow('no plugin name provided');
  });

  it('accepts a plain file name with dots', () => {
    expect(() => validatePluginType('host-local.v2')).not.toThrow();
  });
});

describe('splitPath', () => {
  it.each([
    [undefined, []],
    ['/a:/b::/c', ['/a', '/b', '/c']],
    [['/a:/b', '/c'], ['/a', '/b', '/c']],
    ['', []],
  ])('splits %j into %j', (input, expected) => {
    expect(splitPath(input)).toEqual(expected);
  });
});
