import { describe, expect, it } from 'vitest';
import { parseConfList } from '../../src/index.js';
import { cniEnv, createFakeEnv } from '../helpers/fake-env.js';

describe('CNI.getVersionInfo', () => {
  it('runs VERSION with dummy netns, ifname and path and stdin naming the library version', async () => {
    const env = await createFakeEnv();
    await env.install('needenv');
    await env.answer('needenv', 'VERSION', { stdout: '{"cniVersion":"0.3.1","supportedVersions":["0.3.0","0.3.1"]}' });
    expect(await env.cni().getVersionInfo('needenv')).toEqual({ cniVersion: '0.3.1', supportedVersions: ['0.3.0', '0.3.1'] });
    const [run] = await env.invocations();
    expect(cniEnv(run)).toEqual({
      CNI_COMMAND: 'VERSION',
      CNI_CONTAINERID: '',
      CNI_NETNS: 'dummy',
      CNI_IFNAME: 'dummy',
      CNI_ARGS: '',
      CNI_PATH: 'dummy',
    });
    expect(run!.stdin).toBe('{"cniVersion":"1.1.0"}');
  });

  it('reads the answer of the versions fixture', async () => {
    const env = await createFakeEnv();
    await env.install('v', 'versions');
    const cni = env.cni({ extraEnv: { FAKE_SUPPORTED: '0.4.0 1.0.0' } });
    expect(await cni.getVersionInfo('v')).toEqual({ cniVersion: '1.1.0', supportedVersions: ['0.4.0', '1.0.0'] });
  });

  it('takes "unknown CNI_COMMAND: VERSION" as a plugin that supports only 0.1.0', async () => {
    const env = await createFakeEnv();
    await env.install('novercmd');
    await env.answer('novercmd', 'VERSION', { stdout: '{"code":4,"msg":"unknown CNI_COMMAND: VERSION"}', exitCode: 1 });
    expect(await env.cni().getVersionInfo('novercmd')).toEqual({ cniVersion: '0.1.0', supportedVersions: ['0.1.0'] });
  });

  it('reads a 0.2.0 answer without supportedVersions as 0.1.0 and 0.2.0', async () => {
    const env = await createFakeEnv();
    await env.install('oldfmt');
    await env.answer('oldfmt', 'VERSION', { stdout: '{"cniVersion":"0.2.0"}' });
    expect(await env.cni().getVersionInfo('oldfmt')).toEqual({ cniVersion: '0.2.0', supportedVersions: ['0.1.0', '0.2.0'] });
  });

  it.each([
    ['without supportedVersions', '{"cniVersion":"0.3.1"}', 'plugin bad gave a VERSION answer without supportedVersions'],
    ['without cniVersion', '{"supportedVersions":["1.0.0"]}', 'plugin bad gave a VERSION answer without cniVersion: {"supportedVersions":["1.0.0"]}'],
  ])('rejects an answer %s with ERR_CNI_VERSION', async (_, stdout, message) => {
    const env = await createFakeEnv();
    await env.install('bad');
    await env.answer('bad', 'VERSION', { stdout });
    await expect(env.cni().getVersionInfo('bad')).rejects.toMatchObject({ code: 'ERR_CNI_VERSION', plugin: 'bad', command: 'VERSION', message });
  });

  it('passes on any other plugin error', async () => {
    const env = await createFakeEnv();
    await env.install('broken');
    await env.answer('broken', 'VERSION', { stdout: '{"code":4,"msg":"required env variables missing"}', exitCode: 1 });
    await expect(env.cni().getVersionInfo('broken')).rejects.toMatchObject({ code: 'ERR_CNI_PLUGIN', cniCode: 4, command: 'VERSION' });
  });

  it.each([
    ['a missing plugin', 'absent', 'ERR_CNI_PLUGIN_NOT_FOUND'],
    ['a type with a slash', '../bin/sh', 'ERR_CNI_INVALID_ARG'],
  ])('rejects %s', async (_, type, code) => {
    const env = await createFakeEnv();
    await expect(env.cni().getVersionInfo(type)).rejects.toMatchObject({ code });
  });
});

describe('CNI.validateNetworkList', () => {
  it('resolves to the capabilities the plugins declare when all support the list version', async () => {
    const env = await createFakeEnv();
    for (const type of ['bridge', 'portmap', 'bandwidth']) await env.install(type, 'versions');
    const list = parseConfList(
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'net',
        plugins: [
          { type: 'bridge' },
          { type: 'portmap', capabilities: { portMappings: true, ips: false } },
          { type: 'bandwidth', capabilities: { bandwidth: true, portMappings: true } },
        ],
      }),
    );
    expect(await env.cni().validateNetworkList(list)).toEqual(['portMappings', 'bandwidth']);
  });

  it('names the plugin that does not support the list version', async () => {
    const env = await createFakeEnv();
    await env.install('needenv');
    await env.answer('needenv', 'VERSION', { stdout: '{"cniVersion":"0.3.1","supportedVersions":["0.3.0","0.3.1"]}' });
    await env.install('oldfmt');
    await env.answer('oldfmt', 'VERSION', { stdout: '{"cniVersion":"0.2.0"}' });
    const list = parseConfList('{"cniVersion":"0.3.1","name":"mix","plugins":[{"type":"needenv"},{"type":"oldfmt"}]}');
    await expect(env.cni().validateNetworkList(list)).rejects.toMatchObject({
      code: 'ERR_CNI_VERSION',
      cniCode: 1,
      plugin: 'oldfmt',
      network: 'mix',
      message: expect.stringMatching(/^plugin oldfmt does not support config version "0\.3\.1" \(it supports /),
    });
  });

  it('reports every problem at once as ERR_CNI_MULTIPLE', async () => {
    const env = await createFakeEnv();
    await env.install('old', 'versions');
    const list = parseConfList('{"cniVersion":"0.4.0","name":"net","plugins":[{"type":"old"},{"type":"missing"}]}');
    const error = (await env.cni().validateNetworkList(list).catch((caught: unknown) => caught)) as { code: string; errors: { code: string }[] };
    expect(error.code).toBe('ERR_CNI_MULTIPLE');
    expect(error.errors.map((entry) => entry.code)).toEqual(['ERR_CNI_VERSION', 'ERR_CNI_PLUGIN_NOT_FOUND']);
  });

  it('compares a list without version as 0.1.0', async () => {
    const env = await createFakeEnv();
    await env.install('v', 'versions');
    const list = parseConfList('{"name":"net","plugins":[{"type":"v"}]}');
    await expect(env.cni({ extraEnv: { FAKE_SUPPORTED: '0.1.0 0.2.0' } }).validateNetworkList(list)).resolves.toEqual([]);
    await expect(env.cni().validateNetworkList(list)).rejects.toMatchObject({ message: expect.stringMatching(/^plugin v does not support config version "0\.1\.0" \(it supports /) });
  });

  it('rejects an invalid network name with cniCode 7', async () => {
    const env = await createFakeEnv();
    const list = parseConfList('{"cniVersion":"1.0.0","name":"-net","plugins":[{"type":"v"}]}');
    await expect(env.cni().validateNetworkList(list)).rejects.toMatchObject({ code: 'ERR_CNI_INVALID_ARG', cniCode: 7 });
  });
});
