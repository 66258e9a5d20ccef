import { describe, expect, it } from 'vitest';
import { buildPluginStdin, parseConfList } from '../src/index.js';

function listOf(...plugins: string[]) {
  return parseConfList(`{"cniVersion":"1.0.0","name":"net1","plugins":[${plugins.join(',')}]}`);
}

describe('buildPluginStdin', () => {
  it('overwrites name and cniVersion in place and keeps every other value byte for byte', () => {
    const list = listOf('{"type":"a", "name":"old", "big":12345678901234567890, "s":"<a&b>", "cniVersion":"0.1.0", "nested":{ "x":[1, 2.50, {"y":null}] }, "args":{"cni":{"labels":[]}}}');
    expect(buildPluginStdin(list, list.plugins[0]!)).toBe(
      '{"type":"a","name":"net1","big":12345678901234567890,"s":"<a&b>","cniVersion":"1.0.0","nested":{ "x":[1, 2.50, {"y":null}] },"args":{"cni":{"labels":[]}}}',
    );
  });

  it('appends name and cniVersion when the plugin object has neither', () => {
    const list = listOf('{"type":"a"}');
    expect(buildPluginStdin(list, list.plugins[0]!)).toBe('{"type":"a","name":"net1","cniVersion":"1.0.0"}');
  });

  it('puts in runtimeConfig only the capability args the plugin declares true', () => {
    const list = listOf('{"type":"portmap","capabilities":{"portMappings":true,"bandwidth":false,"ips":true,"mac":true}}');
    const stdin = buildPluginStdin(list, list.plugins[0]!, {
      capabilityArgs: { portMappings: [{ hostPort: 80 }], bandwidth: { ingressRate: 1 }, mac: 'aa:bb:cc:dd:ee:ff', dns: {} },
    });
    expect(JSON.parse(stdin)).toEqual({
      type: 'portmap',
      capabilities: { portMappings: true, bandwidth: false, ips: true, mac: true },
      name: 'net1',
      cniVersion: '1.0.0',
      runtimeConfig: { portMappings: [{ hostPort: 80 }], mac: 'aa:bb:cc:dd:ee:ff' },
    });
  });

  it('replaces a runtimeConfig from the file when a capability applies', () => {
    const list = listOf('{"type":"a","runtimeConfig":{"old":1},"capabilities":{"ips":true}}');
    expect(buildPluginStdin(list, list.plugins[0]!, { capabilityArgs: { ips: ['10.0.0.2/24'] } })).toBe(
      '{"type":"a","runtimeConfig":{"ips":["10.0.0.2/24"]},"capabilities":{"ips":true},"name":"net1","cniVersion":"1.0.0"}',
    );
  });

  it('leaves a runtimeConfig from the file as is when no capability applies', () => {
    const list = listOf('{"type":"a","runtimeConfig":{"old":1},"capabilities":{"ips":true}}');
    expect(buildPluginStdin(list, list.plugins[0]!, { capabilityArgs: { mac: 'x' } })).toBe(
      '{"type":"a","runtimeConfig":{"old":1},"capabilities":{"ips":true},"name":"net1","cniVersion":"1.0.0"}',
    );
  });

  it('adds no runtimeConfig for a plugin without capabilities', () => {
    const list = listOf('{"type":"a"}');
    expect(JSON.parse(buildPluginStdin(list, list.plugins[0]!, { capabilityArgs: { ips: ['x'] } }))).not.toHaveProperty('runtimeConfig');
  });

  it('is not fooled by braces, brackets, quotes and escaped keys inside strings', () => {
    const list = listOf(String.raw`{"type":"a","s":"}\"],{\\","na\u006de":"escaped-name","t":["]",{"}":"{"}]}`);
    expect(buildPluginStdin(list, list.plugins[0]!)).toBe(
      String.raw`{"type":"a","s":"}\"],{\\","name":"net1","t":["]",{"}":"{"}],"cniVersion":"1.0.0"}`,
    );
  });

  it('ignores capability names that exist only on Object.prototype', () => {
    const list = listOf('{"type":"a","capabilities":{"constructor":true,"toString":true}}');
    expect(JSON.parse(buildPluginStdin(list, list.plugins[0]!, { capabilityArgs: {} }))).not.toHaveProperty('runtimeConfig');
  });

  it('appends prevResult last', () => {
    const list = listOf('{"type":"a"}');
    const stdin = buildPluginStdin(list, list.plugins[0]!, {
      prevResult: { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] },
    });
    expect(stdin).toBe('{"type":"a","name":"net1","cniVersion":"1.0.0","prevResult":{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]}}');
  });

  it('writes an empty cniVersion when the list names none', () => {
    const list = parseConfList('{"name":"old","plugins":[{"type":"a"}]}');
    expect(buildPluginStdin(list, list.plugins[0]!)).toBe('{"type":"a","name":"old","cniVersion":""}');
  });
});
