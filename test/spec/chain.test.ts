// Conformance lines C34-C46 (docs/CONFORMANCE.md): running ADD, DEL, CHECK, GC and STATUS over a list.

import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheFilePath, parseConfList, writeCacheEntry } from '../../src/index.js';
import { RT, calls, createFakeEnv, installChain, rejectionOf, resultOf, stdinOf, versionAnswer } from './support.js';

const exists = (file: string) => stat(file).then(() => true, () => false);
const entryFile = (cacheDir: string, networkName = 'chainnet', rt: { containerId: string; ifName: string } = RT) =>
  cacheFilePath(cacheDir, { networkName, containerId: rt.containerId, ifName: rt.ifName });
const notVersion = <T extends { command: string }>(runs: T[]) => runs.filter((run) => run.command !== 'VERSION');

describe('chain execution', () => {
  it('C34: ADD runs in list order, DEL in reverse, CHECK, GC and STATUS in list order', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a', 'b', 'c'], { version: '1.1.0' });
    for (const type of ['a', 'b', 'c']) await env.answer(type, 'VERSION', { stdout: versionAnswer(['1.0.0', '1.1.0']) });
    const cni = env.cni();
    await cni.addNetworkList(list, RT);
    await cni.checkNetworkList(list, RT);
    await cni.getStatusNetworkList(list);
    await cni.gcNetworkList(list, { validAttachments: [{ containerId: RT.containerId, ifName: RT.ifName }] });
    await cni.delNetworkList(list, RT);
    expect(calls(notVersion(await env.invocations()))).toEqual([
      'ADD a', 'ADD b', 'ADD c',
      'CHECK a', 'CHECK b', 'CHECK c',
      'STATUS a', 'STATUS b', 'STATUS c',
      'GC a', 'GC b', 'GC c',
      'DEL c', 'DEL b', 'DEL a',
    ]);
  });

  it('C35: ADD stops at the first failing plugin and the error names its type', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a', 'b', 'c']);
    await env.answer('b', 'ADD', { stdout: '{"code":7,"msg":"bad config"}', exitCode: 1 });
    const error = await rejectionOf(env.cni({ rollbackOnFailure: false }).addNetworkList(list, RT));
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN', cniCode: 7, plugin: 'b', command: 'ADD', network: 'chainnet' });
    expect(error.message).toMatch(/^plugin type="b" name="chainnet" failed \(add\): bad config/);
    expect(calls(await env.invocations())).toEqual(['ADD a', 'ADD b']);
  });

  it('C36: a failed ADD writes no cache entry; without rollback it runs no DEL, with the default rollback it DELs the whole list', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a', 'b', 'c']);
    await env.answer('b', 'ADD', { stdout: '{"code":11,"msg":"later"}', exitCode: 1 });
    await rejectionOf(env.cni({ rollbackOnFailure: false }).addNetworkList(list, RT));
    expect(calls(await env.invocations())).toEqual(['ADD a', 'ADD b']);
    expect(await exists(entryFile(env.cacheDir))).toBe(false);

    const error = await rejectionOf<Error & { rollback?: unknown }>(env.cni().addNetworkList(list, { ...RT, containerId: 'ctr2' }));
    expect(error.rollback).toEqual({ ok: true });
    const runs = (await env.invocations()).slice(2);
    expect(calls(runs)).toEqual(['ADD a', 'ADD b', 'DEL c', 'DEL b', 'DEL a']);
    for (const run of runs.slice(2)) expect(Object.keys(stdinOf(run))).not.toContain('prevResult');
    expect(await exists(entryFile(env.cacheDir, 'chainnet', { containerId: 'ctr2', ifName: 'eth0' }))).toBe(false);
  });

  it('C37: DEL gives every plugin the cached result converted to the list version, from 0.4.0 on only', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a', 'b']);
    const cached = { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.9.0.2/24', gateway: '10.9.0.1' }] };
    await writeCacheEntry(env.cacheDir, { kind: 'cniCacheV1', networkName: 'chainnet', containerId: 'ctr1', ifName: 'eth0', config: list.bytes, result: cached });
    await env.cni().delNetworkList(list, RT);
    const runs = await env.invocations();
    expect(calls(runs)).toEqual(['DEL b', 'DEL a']);
    for (const run of runs) expect(stdinOf(run)['prevResult']).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.9.0.2/24', gateway: '10.9.0.1' }] });

    const old = await createFakeEnv();
    const { list: list031 } = await installChain(old, ['a', 'b'], { version: '0.3.1' });
    const cni = old.cni();
    await cni.addNetworkList(list031, RT);
    await cni.delNetworkList(list031, RT);
    const dels = (await old.invocations()).filter((run) => run.command === 'DEL');
    expect(dels).toHaveLength(2);
    for (const run of dels) expect(Object.keys(stdinOf(run))).not.toContain('prevResult');
  });

  it('C38: DEL without a cache file runs every plugin without prevResult and succeeds', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a', 'b', 'c']);
    await env.cni().delNetworkList(list, RT);
    const runs = await env.invocations();
    expect(calls(runs)).toEqual(['DEL c', 'DEL b', 'DEL a']);
    for (const run of runs) expect(Object.keys(stdinOf(run))).not.toContain('prevResult');
  });

  it.each([
    ['empty', ''],
    ['truncated', '{"kind":"cniCacheV1","containerId":"ctr1","res'],
    ['garbage', '\u0000\u0001 not json at all'],
    ['a JSON array', '[1,2,3]'],
    ['an unconvertible result', '{"kind":"cniCacheV1","containerId":"ctr1","ifName":"eth0","networkName":"chainnet","result":{"cniVersion":"7.0.0"}}'],
  ])('C39: DEL over a cache file that is %s runs every plugin without prevResult and removes the file', async (_, content) => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a', 'b']);
    const file = entryFile(env.cacheDir);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    await env.cni().delNetworkList(list, RT);
    const runs = await env.invocations();
    expect(calls(runs)).toEqual(['DEL b', 'DEL a']);
    for (const run of runs) expect(Object.keys(stdinOf(run))).not.toContain('prevResult');
    expect(await exists(file)).toBe(false);
  });

  it('C40: a failing DEL keeps the cache file for the retry (and, unlike Go, still runs the other plugins)', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a', 'b', 'c']);
    const cni = env.cni();
    await cni.addNetworkList(list, RT);
    await env.answer('b', 'DEL', { stdout: '{"code":11,"msg":"busy"}', exitCode: 1 });
    const error = await rejectionOf(cni.delNetworkList(list, RT));
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN', cniCode: 11, plugin: 'b', command: 'DEL' });
    expect(calls((await env.invocations()).slice(3))).toEqual(['DEL c', 'DEL b', 'DEL a']);
    expect(await exists(entryFile(env.cacheDir))).toBe(true);

    await env.answer('b', 'DEL', { stdout: '', exitCode: 0 });
    await cni.delNetworkList(list, RT);
    expect(await exists(entryFile(env.cacheDir))).toBe(false);
  });

  it.each(['0.3.1', '0.3.0', '0.2.0', '0.1.0', ''])('C41: CHECK on a %j list fails "does not support the CHECK command" without running anything', async (version) => {
    const env = await createFakeEnv();
    await env.install('a');
    const list = parseConfList(JSON.stringify({ ...(version ? { cniVersion: version } : {}), name: 'old', plugins: [{ type: 'a' }] }));
    const error = await rejectionOf(env.cni().checkNetworkList(list, RT));
    expect(error).toMatchObject({ name: 'VersionError', code: 'ERR_CNI_VERSION', command: 'CHECK', network: 'old' });
    expect(error.message).toContain('does not support the CHECK command');
    expect(await env.invocations()).toEqual([]);
  });

  it.each([true, 'true', 'TRUE'])('C42: CHECK with disableCheck %j succeeds without running anything', async (flag) => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a'], { listExtra: { disableCheck: flag } });
    await env.answer('a', 'CHECK', { stdout: '{"code":100,"msg":"would fail"}', exitCode: 1 });
    const cni = env.cni();
    await cni.checkNetworkList(list, RT);
    await cni.addNetworkList(list, RT);
    await cni.checkNetworkList(list, RT);
    expect(calls(await env.invocations())).toEqual(['ADD a']);
  });

  it('C43: CHECK gives each plugin the cached final result (not chained) and returns the first error', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a', 'b', 'c']);
    const cni = env.cni();
    // Never before ADD: without a cached result there is nothing to check against.
    await expect(cni.checkNetworkList(list, RT)).rejects.toMatchObject({ code: 'ERR_CNI_CACHE', command: 'CHECK' });
    expect(await env.invocations()).toEqual([]);
    await cni.addNetworkList(list, RT);
    await cni.checkNetworkList(list, RT);
    const checks = (await env.invocations()).filter((run) => run.command === 'CHECK');
    expect(checks).toHaveLength(3);
    for (const run of checks) expect(stdinOf(run)['prevResult']).toEqual(resultOf('c', 2));

    await env.answer('b', 'CHECK', { stdout: '{"code":100,"msg":"drifted"}', exitCode: 1 });
    const error = await rejectionOf(cni.checkNetworkList(list, RT));
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN', cniCode: 100, msg: 'drifted', plugin: 'b' });
    expect(calls((await env.invocations()).slice(6))).toEqual(['CHECK a', 'CHECK b']);
  });

  it.each([true, 'true'])('C44: GC with disableGC %j does nothing at all', async (flag) => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a'], { version: '1.1.0', listExtra: { disableGC: flag } });
    await env.answer('a', 'VERSION', { stdout: versionAnswer(['1.1.0']) });
    await env.cni().addNetworkList(list, RT);
    await env.cni().gcNetworkList(list, { validAttachments: [] });
    expect(calls(await env.invocations())).toEqual(['ADD a']);
    expect(await exists(entryFile(env.cacheDir))).toBe(true);
  });

  it('C45: GC DELs each stale cached attachment with its cached inputs, then sends GC to every plugin, past errors, joining them', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['a', 'b'], { version: '1.1.0' });
    for (const type of ['a', 'b']) await env.answer(type, 'VERSION', { stdout: versionAnswer(['1.0.0', '1.1.0']) });
    const cni = env.cni();
    await cni.addNetworkList(list, { ...RT, containerId: 'keep' });
    await cni.addNetworkList(list, { containerId: 'stale', netns: '/run/netns/old', ifName: 'net1', args: [['K', 'V']] });
    await env.answer('a', 'GC', { stdout: '{"code":5,"msg":"gc a failed"}', exitCode: 1 });
    await env.answer('b', 'GC', { stdout: '{"code":6,"msg":"gc b failed"}', exitCode: 1 });
    const error = await rejectionOf<Error & { code: string; errors: Error[] }>(cni.gcNetworkList(list, { validAttachments: [{ containerId: 'keep', ifName: 'eth0' }] }));
    expect(error.code).toBe('ERR_CNI_MULTIPLE');
    expect(error.errors.map((entry) => (entry as Error & { cniCode?: number }).cniCode)).toEqual([5, 6]);
    expect(error.message).toMatch(/gc a failed.*gc b failed/);
    const runs = notVersion(await env.invocations()).slice(4);
    expect(calls(runs)).toEqual(['DEL b', 'DEL a', 'GC a', 'GC b']);
    expect(runs[0]!.env).toMatchObject({ CNI_CONTAINERID: 'stale', CNI_NETNS: '/run/netns/old', CNI_IFNAME: 'net1', CNI_ARGS: 'K=V' });
    expect(await exists(entryFile(env.cacheDir, 'chainnet', { containerId: 'stale', ifName: 'net1' }))).toBe(false);
    expect(await exists(entryFile(env.cacheDir, 'chainnet', { containerId: 'keep', ifName: 'eth0' }))).toBe(true);

    // Before 1.1.0 only the DEL part happens.
    const old = await createFakeEnv();
    const { list: list100 } = await installChain(old, ['a'], { version: '1.0.0' });
    await old.cni().addNetworkList(list100, RT);
    await old.cni().gcNetworkList(list100, { validAttachments: [] });
    expect(calls(await old.invocations())).toEqual(['ADD a', 'DEL a']);
  });

  it('C46: STATUS before 1.1.0 succeeds without running anything; from 1.1.0 the first error is returned with its code 50/51', async () => {
    const env = await createFakeEnv();
    await env.install('a');
    await env.install('b');
    for (const type of ['a', 'b']) await env.answer(type, 'VERSION', { stdout: versionAnswer(['1.0.0', '1.1.0']) });
    await env.answer('a', 'STATUS', { stdout: '{"cniVersion":"1.1.0","code":50,"msg":"not available"}', exitCode: 1 });
    const cni = env.cni();
    await cni.getStatusNetworkList(parseConfList('{"cniVersion":"1.0.0","name":"old","plugins":[{"type":"a"},{"type":"b"}]}'));
    expect(await env.invocations()).toEqual([]);

    const list = parseConfList('{"cniVersion":"1.1.0","name":"new","plugins":[{"type":"a"},{"type":"b"}]}');
    await expect(cni.getStatusNetworkList(list)).rejects.toMatchObject({ code: 'ERR_CNI_PLUGIN', cniCode: 50, msg: 'not available', plugin: 'a', network: 'new' });
    expect(calls(notVersion(await env.invocations()))).toEqual(['STATUS a']);

    await env.answer('a', 'STATUS', { stdout: '', exitCode: 0 });
    await env.answer('b', 'STATUS', { stdout: '{"code":51,"msg":"limited"}', exitCode: 1 });
    await expect(cni.getStatusNetworkList(list)).rejects.toMatchObject({ cniCode: 51, plugin: 'b' });
    expect(await readFile(entryFile(env.cacheDir), 'utf8').catch(() => 'none')).toBe('none');
  });
});
