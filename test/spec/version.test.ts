// Conformance lines C74-C76 (docs/CONFORMANCE.md): the VERSION command and list validation.

import { describe, expect, it } from 'vitest';
import { parseConfList } from '../../src/index.js';
import { createFakeEnv, rejectionOf, versionAnswer } from './support.js';

describe('VERSION', () => {
  it('C74: a 0.2.0 answer without supportedVersions means 0.1.0 and 0.2.0; any other answer without it is an error', async () => {
    const env = await createFakeEnv();
    await env.install('legacy');
    await env.install('broken');
    await env.install('empty');
    await env.answer('legacy', 'VERSION', { stdout: '{"cniVersion":"0.2.0"}' });
    await env.answer('broken', 'VERSION', { stdout: '{"cniVersion":"0.3.1"}' });
    await env.answer('empty', 'VERSION', { stdout: '{"cniVersion":"1.0.0","supportedVersions":[]}' });
    const cni = env.cni();
    expect(await cni.getVersionInfo('legacy')).toEqual({ cniVersion: '0.2.0', supportedVersions: ['0.1.0', '0.2.0'] });
    await expect(cni.getVersionInfo('broken')).rejects.toMatchObject({ code: 'ERR_CNI_VERSION', plugin: 'broken' });
    await expect(cni.getVersionInfo('empty')).rejects.toMatchObject({ code: 'ERR_CNI_VERSION', plugin: 'empty' });
  });

  it('C75: a plugin failing with "unknown CNI_COMMAND: VERSION" is taken to support only 0.1.0', async () => {
    const env = await createFakeEnv();
    await env.install('ancient');
    await env.install('other');
    await env.answer('ancient', 'VERSION', { stdout: '{"code":4,"msg":"unknown CNI_COMMAND: VERSION"}', exitCode: 1 });
    await env.answer('other', 'VERSION', { stdout: '{"code":4,"msg":"unknown CNI_COMMAND: VERSIONS"}', exitCode: 1 });
    const cni = env.cni();
    expect(await cni.getVersionInfo('ancient')).toEqual({ cniVersion: '0.1.0', supportedVersions: ['0.1.0'] });
    await expect(cni.getVersionInfo('other')).rejects.toMatchObject({ code: 'ERR_CNI_PLUGIN', cniCode: 4 });
  });

  it('C76: validation needs the exact list version in every plugin answer and returns the union of capabilities', async () => {
    const env = await createFakeEnv();
    for (const type of ['a', 'b', 'old']) await env.install(type);
    await env.answer('a', 'VERSION', { stdout: versionAnswer(['0.4.0', '1.0.0']) });
    await env.answer('b', 'VERSION', { stdout: versionAnswer(['1.0.0', '1.1.0']) });
    await env.answer('old', 'VERSION', { stdout: versionAnswer(['0.3.1', '1.0']) });
    const cni = env.cni();
    const list = parseConfList(
      '{"cniVersion":"1.0.0","name":"v","plugins":[{"type":"a","capabilities":{"portMappings":true,"mac":false}},{"type":"b","capabilities":{"bandwidth":true,"portMappings":true}}]}',
    );
    expect((await cni.validateNetworkList(list)).sort()).toEqual(['bandwidth', 'portMappings']);

    // "1.0" is the same version but not the same string.
    const withOld = parseConfList('{"cniVersion":"1.0.0","name":"v","plugins":[{"type":"a"},{"type":"old"}]}');
    const error = await rejectionOf(cni.validateNetworkList(withOld));
    expect(error).toMatchObject({ code: 'ERR_CNI_VERSION', plugin: 'old', network: 'v' });
    expect(error.message).toContain('plugin old does not support config version "1.0.0"');
    expect(error.message).toContain('0.3.1, 1.0');
  });
});
