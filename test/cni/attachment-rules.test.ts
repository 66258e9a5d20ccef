import { chmod, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { oneLine } from '../../src/cli/errors.js';
import { execaExecutor, parseConfList, spawnExecutor, type PluginExecutor } from '../../src/index.js';
import { calls, cniEnv, createFakeEnv, stdinOf } from '../helpers/fake-env.js';
import { isAlive, readPids } from '../helpers/processes.js';

const RESULT = '{"cniVersion":"1.0.0","ips":[{"address":"10.88.0.7/16"}]}';
const rt = { containerId: 'ctr1', netns: '/run/netns/ns1', ifName: 'eth0' };

async function world() {
  const env = await createFakeEnv();
  await env.install('rec', 'recorder');
  await env.answer('rec', 'ADD', { stdout: RESULT });
  const list = parseConfList('{"cniVersion":"1.0.0","name":"neta","plugins":[{"type":"rec","capabilities":{"portMappings":true}}]}');
  return { env, list, cni: env.cni() };
}

describe('ADD of an attachment that already exists', () => {
  it('is refused with ERR_CNI_ATTACHMENT_EXISTS before any plugin runs, and the attachment stays', async () => {
    const { env, list, cni } = await world();
    await cni.addNetworkList(list, rt);
    const file = path.join(env.cacheDir, 'results', 'neta-ctr1-eth0');
    const cached = await readFile(file, 'utf8');

    const error = await cni.addNetworkList(list, rt).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_CNI_ATTACHMENT_EXISTS', network: 'neta', command: 'ADD', file, rollback: undefined });
    expect((error as Error).message).toBe(
      `network "neta" is already attached to container ctr1 on eth0 (cached in ${file}); DEL it before adding it again`,
    );
    // No second ADD and, above all, no rollback DEL of the working attachment.
    expect(calls(await env.invocations())).toEqual(['ADD rec']);
    expect(await readFile(file, 'utf8')).toBe(cached);
  });

  it('is allowed again after DEL, and over a corrupt cache file', async () => {
    const { env, list, cni } = await world();
    await cni.addNetworkList(list, rt);
    await cni.delNetworkList(list, rt);
    await cni.addNetworkList(list, rt);
    await writeFile(path.join(env.cacheDir, 'results', 'neta-ctr1-eth0'), '{"kind":');
    await cni.addNetworkList(list, rt);
    expect(calls(await env.invocations())).toEqual(['ADD rec', 'DEL rec', 'ADD rec', 'ADD rec']);
  });
});

describe('arguments replayed from the cache', () => {
  it('gives DEL no CNI_ARGS and no runtimeConfig when ADD had none, whatever the DEL call passes', async () => {
    const { env, list, cni } = await world();
    await cni.addNetworkList(list, rt);
    await cni.delNetworkList(list, { ...rt, args: [['X', '2']], capabilityArgs: { portMappings: [{ hostPort: 1, containerPort: 2, protocol: 'udp' }] } });
    const del = (await env.invocations())[1]!;
    expect(cniEnv(del)['CNI_ARGS']).toBe('');
    expect(stdinOf(del)).not.toHaveProperty('runtimeConfig');
  });

  it('uses the caller\'s arguments when nothing is cached', async () => {
    const { env, list, cni } = await world();
    await cni.delNetworkList(list, { ...rt, args: [['X', '2']] });
    expect(cniEnv((await env.invocations())[0]!)['CNI_ARGS']).toBe('X=2');
  });
});

describe('names that cannot make a cache file name', () => {
  it('are refused with ERR_CNI_INVALID_ARG before anything runs or is written', async () => {
    const { env, list, cni } = await world();
    const containerId = 'c'.repeat(220);
    const error = await cni.addNetworkList(list, { ...rt, containerId }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_CNI_INVALID_ARG', cniCode: 4 });
    expect((error as Error).message).toBe(
      'Expected network name, container ID and interface name to total at most 220 bytes (they name the cache file), got 228',
    );
    expect(await env.invocations()).toEqual([]);
    expect(await readdir(env.cacheDir).catch(() => [])).toEqual([]);
    // The longest accepted combination works end to end.
    await cni.addNetworkList(list, { ...rt, containerId: 'c'.repeat(212) });
  });
});

describe.each([
  ['execaExecutor', execaExecutor],
  ['spawnExecutor', spawnExecutor],
] as [string, PluginExecutor][])('%s output cap', (_name, executor) => {
  it('kills the whole process group at once, children holding the pipes included', async () => {
    const env = await createFakeEnv();
    const plugin = path.join(env.binDir, 'flooder');
    const pids = path.join(env.recordDir, 'flooder.pids');
    await writeFile(plugin, `#!/bin/sh\nsleep 30 &\necho $! > "${pids}"\nhead -c 3000000 /dev/zero | tr '\\0' x\nwait\n`);
    await chmod(plugin, 0o755);
    const outcome = await executor.exec({ file: plugin, stdin: '{}', env: { PATH: '/usr/bin:/bin' }, timeout: 20_000, killGrace: 200, maxOutput: 64 * 1024 });
    expect(outcome.outputTooLarge).toBe(true);
    expect(outcome.timedOut).toBe(false);
    const [child] = await readPids(pids);
    expect(await isAlive(child!)).toBe(false);
  });
});

describe('oneLine (cnitool error lines)', () => {
  it('folds line breaks and escapes control characters a plugin printed', () => {
    expect(oneLine(new Error('plugin said:\n  \u001b]0;owned\u0007bad\tthing\u009b'))).toBe('plugin said: \\x1b]0;owned\\x07bad\\x09thing\\x9b');
  });
});

describe('validateNetworkList and IPAM plugins', () => {
  it('also finds the IPAM plugin a plugin delegates to, and names it when it is missing', async () => {
    const env = await createFakeEnv();
    await env.install('v', 'versions');
    const list = parseConfList('{"cniVersion":"1.0.0","name":"neta","plugins":[{"type":"v","ipam":{"type":"host-lokal"}}]}');
    const error = await env.cni().validateNetworkList(list).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN_NOT_FOUND', plugin: 'host-lokal', network: 'neta' });
    await env.install('host-lokal', 'versions');
    await expect(env.cni().validateNetworkList(list)).resolves.toEqual([]);
  });
});

describe('ADD and IPAM plugins', () => {
  it('refuses before any plugin runs when the IPAM plugin a plugin delegates to is not installed', async () => {
    const { env, cni } = await world();
    const list = parseConfList('{"cniVersion":"1.0.0","name":"neta","plugins":[{"type":"rec","ipam":{"type":"ipam-gone"}}]}');
    const error = await cni.addNetworkList(list, rt).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN_NOT_FOUND', plugin: 'ipam-gone', network: 'neta', rollback: undefined });
    expect((error as Error).message).toBe(`failed to find plugin "ipam-gone" in path [${env.binDir}] (the IPAM plugin of rec)`);
    expect(await env.invocations()).toEqual([]);
    expect(await readdir(path.join(env.cacheDir, 'results')).catch(() => [])).toEqual([]);
    expect(await readdir(path.join(env.cacheDir, 'locks', 'neta')).catch(() => [])).toEqual([]);
  });
});
