// Conformance lines C29-C33 (docs/CONFORMANCE.md): container IDs, network names and interface names.

import { writeFile, readFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfList } from '../../src/index.js';
import { RT, createFakeEnv, installChain, rejectionOf } from './support.js';

describe('argument validation', () => {
  it.each([
    ['', 3],
    ['-abc', 4],
    ['a/b', 4],
    ['.hidden', 4],
    ['a b', 4],
    ['ctr;x', 4],
  ])('C29: ADD rejects container ID %j with cniCode %i', async (containerId, cniCode) => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['p']);
    await expect(env.cni().addNetworkList(list, { ...RT, containerId })).rejects.toMatchObject({ code: 'ERR_CNI_INVALID_ARG', cniCode });
    expect(await env.invocations()).toEqual([]);
  });

  it('C29: ADD accepts container ID a.b_c-1', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['p']);
    await env.cni().addNetworkList(list, { ...RT, containerId: 'a.b_c-1' });
    expect((await env.invocations())[0]!.env['CNI_CONTAINERID']).toBe('a.b_c-1');
  });

  it.each(['_net', 'a/b', '-net', 'n et', ''])('C30: ADD rejects network name %j with cniCode 7', async (name) => {
    const env = await createFakeEnv();
    await env.install('p');
    const list = { ...parseConfList('{"cniVersion":"1.0.0","name":"ok","plugins":[{"type":"p"}]}'), name };
    await expect(env.cni().addNetworkList(list, RT)).rejects.toMatchObject({ code: 'ERR_CNI_INVALID_ARG', cniCode: 7 });
    expect(await env.invocations()).toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['16 bytes', 'abcdefghijklmnop'],
    ['16 bytes in 8 characters', 'éééééééé'],
    ['.', '.'],
    ['..', '..'],
    ['with /', 'eth/0'],
    ['with :', 'eth:0'],
    ['with a space', 'eth 0'],
    ['with a tab', 'eth\t0'],
  ])('C31: ADD rejects the %s interface name with cniCode 4', async (_, ifName) => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['p']);
    await expect(env.cni().addNetworkList(list, { ...RT, ifName })).rejects.toMatchObject({ code: 'ERR_CNI_INVALID_ARG', cniCode: 4 });
    expect(await env.invocations()).toEqual([]);
  });

  it('C31: ADD accepts a 15-byte interface name', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['p']);
    await env.cni().addNetworkList(list, { ...RT, ifName: 'abcdefghijklmno' });
    expect((await env.invocations())[0]!.env['CNI_IFNAME']).toBe('abcdefghijklmno');
  });

  it('C32: validation fails before any plugin runs, but a missing plugin binary is reported first', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a', 'b']);
    const invalid = await rejectionOf(env.cni().addNetworkList(list, { ...RT, ifName: 'bad/name' }));
    expect(invalid.code).toBe('ERR_CNI_INVALID_ARG');
    expect(await env.invocations()).toEqual([]);

    const missing = parseConfList('{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"},{"type":"absent"}]}');
    const both = await rejectionOf(env.cni().addNetworkList(missing, { ...RT, ifName: 'bad/name' }));
    expect(both).toMatchObject({ code: 'ERR_CNI_PLUGIN_NOT_FOUND', plugin: 'absent' });
    expect(await env.invocations()).toEqual([]);
  });

  it.each([
    ['CHECK', 'an ifName climbing out of the cache', { ifName: '../../victim' }],
    ['DEL', 'an ifName climbing out of the cache', { ifName: '../../victim' }],
    ['DEL', 'a container ID with /', { containerId: 'x/../../victim' }],
    ['DEL', 'an empty container ID', { containerId: '' }],
    ['CHECK', 'an empty ifName', { ifName: '' }],
  ])('C33: %s also validates: %s is refused and no file outside the cache entry is touched', async (command, _, override) => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['p']);
    const results = path.join(env.cacheDir, 'results');
    await mkdir(results, { recursive: true });
    const victim = path.join(results, 'victim');
    await writeFile(victim, 'precious');
    const cni = env.cni();
    const call = command === 'DEL' ? cni.delNetworkList(list, { ...RT, ...override }) : cni.checkNetworkList(list, { ...RT, ...override });
    await expect(call).rejects.toMatchObject({ code: 'ERR_CNI_INVALID_ARG' });
    expect(await readFile(victim, 'utf8')).toBe('precious');
    expect(await env.invocations()).toEqual([]);
  });
});
