import { describe, expect, it } from 'vitest';
import { parseConf, parseConfList, parsePluginConf } from '../../src/index.js';

const list = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ cniVersion: '1.0.0', name: 'net1', plugins: [{ type: 'bridge' }], ...extra });

describe('parseConfList', () => {
  it('reads name, version, flags and plugins, and keeps the exact bytes', () => {
    const text = '{"cniVersion":"1.0.0","name":"net1","disableCheck":true,"plugins":[{"type":"bridge","capabilities":{"portMappings":true,"ips":false}},{"type":"portmap"}]}';
    const parsed = parseConfList(text, { file: '/etc/cni/net.d/10-net1.conflist' });
    expect(parsed).toMatchObject({
      name: 'net1',
      cniVersion: '1.0.0',
      cniVersions: undefined,
      disableCheck: true,
      disableGC: false,
      loadOnlyInlinedPlugins: false,
      file: '/etc/cni/net.d/10-net1.conflist',
    });
    expect(parsed.plugins.map((plugin) => plugin.type)).toEqual(['bridge', 'portmap']);
    expect(parsed.plugins[0]!.capabilities).toEqual(['portMappings']);
    expect(Buffer.from(parsed.bytes).toString()).toBe(text);
  });

  it('keeps each plugin object byte for byte, big integers and <&> included', () => {
    const text = '{"name":"n","cniVersion":"1.0.0","plugins":[ {"type":"a", "big": 12345678901234567890, "s":"<a&b>"} ,{"type":"b"}]}';
    const parsed = parseConfList(text);
    expect(parsed.plugins[0]!.bytes).toBe('{"type":"a", "big": 12345678901234567890, "s":"<a&b>"}');
    expect(parsed.plugins[1]!.bytes).toBe('{"type":"b"}');
  });

  it('reads a missing cniVersion as ""', () => {
    expect(parseConfList('{"name":"n","plugins":[{"type":"a"}]}').cniVersion).toBe('');
  });

  it.each([
    [['0.4.0', '1.0.0', '9.9.9'], '0.3.1', '1.0.0'],
    [['0.3.1'], '1.0.0', '1.0.0'],
    [['2.0.0'], '0.4.0', '0.4.0'],
    [['1.1.0', '0.4.0'], undefined, '1.1.0'],
    [[], '0.4.0', '0.4.0'],
  ])('picks from cniVersions %j and cniVersion %j the version %j', (cniVersions, cniVersion, expected) => {
    const parsed = parseConfList(JSON.stringify({ name: 'n', cniVersion, cniVersions, plugins: [{ type: 'a' }] }));
    expect(parsed.cniVersion).toBe(expected);
    expect(parsed.cniVersions).toEqual(cniVersions);
  });

  it('keeps cniVersion verbatim when every cniVersions entry is newer than the library', () => {
    expect(parseConfList(list({ cniVersion: '5.0.0', cniVersions: ['9.0.0'] })).cniVersion).toBe('5.0.0');
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['False', false],
    [true, true],
    [false, false],
  ])('reads disableCheck %j as %j', (value, expected) => {
    expect(parseConfList(list({ disableCheck: value })).disableCheck).toBe(expected);
    expect(parseConfList(list({ disableGC: value })).disableGC).toBe(expected);
  });

  it.each([
    ['no name', { name: undefined }],
    ['an empty name', { name: '' }],
    ['a name that is not a string', { name: 7 }],
    ['a cniVersion that is not a string', { cniVersion: 1 }],
    ['a cniVersions entry that is not a string', { cniVersions: ['1.0.0', 1] }],
    ['an unparsable cniVersions entry', { cniVersions: ['1.x'] }],
    ['disableCheck "yes"', { disableCheck: 'yes' }],
    ['disableCheck 1', { disableCheck: 1 }],
    ['disableGC "on"', { disableGC: 'on' }],
    ['loadOnlyInlinedPlugins 0', { loadOnlyInlinedPlugins: 0 }],
    ['plugins that is not an array', { plugins: { type: 'a' } }],
    ['an empty plugins array', { plugins: [] }],
    ['a plugin without type', { plugins: [{ name: 'x' }] }],
    ['a plugin with an empty type', { plugins: [{ type: '' }] }],
    ['a plugin type "../x"', { plugins: [{ type: '../x' }] }],
    ['a plugin type "a/b"', { plugins: [{ type: 'a/b' }] }],
    ['a plugin type "a\\\\b"', { plugins: [{ type: 'a\\b' }] }],
    ['a plugin type "."', { plugins: [{ type: '.' }] }],
    ['a plugin type ".."', { plugins: [{ type: '..' }] }],
    ['a plugin that is not an object', { plugins: ['bridge'] }],
    ['no plugins and loadOnlyInlinedPlugins', { plugins: undefined, loadOnlyInlinedPlugins: true }],
    ['no plugins', { plugins: undefined }],
  ])('rejects a list with %s', (_, extra) => {
    expect(() => parseConfList(list(extra), { file: 'x.conflist' })).toThrow(
      expect.objectContaining({ code: 'ERR_CNI_CONFIG', name: 'ConfigError', file: 'x.conflist', cniCode: 7 }),
    );
  });

  it('names the plugin index and the file of a bad plugin', () => {
    expect(() => parseConfList(list({ plugins: [{ type: 'a' }, { type: 'x/y' }] }), { file: '/d/10.conflist' })).toThrow(
      '/d/10.conflist: invalid plugin type "x/y" at plugins.1: must be a file name without / or \\',
    );
  });

  it('gives zod issues with paths for a schema failure', () => {
    try {
      parseConfList(list({ disableCheck: 'yes' }));
      expect.unreachable();
    } catch (error) {
      expect((error as { issues: unknown }).issues).toEqual([
        expect.objectContaining({ path: ['disableCheck'] }),
      ]);
    }
  });

  it.each([
    ['text that is not JSON', '{"name":', 6],
    ['an array', '[{"name":"n"}]', 7],
    ['null', 'null', 7],
  ])('rejects %s', (_, text, cniCode) => {
    expect(() => parseConfList(text)).toThrow(expect.objectContaining({ code: 'ERR_CNI_CONFIG', cniCode }));
  });

  it('up-converts a single plugin config given as a list', () => {
    const parsed = parseConfList('{"cniVersion":"0.4.0","name":"single","type":"bridge"}');
    expect(parsed.name).toBe('single');
    expect(parsed.plugins.map((plugin) => plugin.type)).toEqual(['bridge']);
  });
});

describe('parseConf', () => {
  it('up-converts a single plugin config into a one-plugin list named after it', () => {
    const text = '{"cniVersion":"0.3.1","name":"lo","type":"loopback","disableCheck":"TRUE"}';
    const parsed = parseConf(text);
    expect(parsed).toMatchObject({ name: 'lo', cniVersion: '0.3.1', disableCheck: true, disableGC: false, cniVersions: undefined });
    expect(parsed.plugins).toHaveLength(1);
    expect(parsed.plugins[0]!.type).toBe('loopback');
    expect(parsed.plugins[0]!.bytes).toBe(text);
    expect(Buffer.from(parsed.bytes).toString()).toBe(text);
  });

  it('parses content that is a list as a list', () => {
    const parsed = parseConf(list({ plugins: [{ type: 'a' }, { type: 'b' }] }));
    expect(parsed.plugins.map((plugin) => plugin.type)).toEqual(['a', 'b']);
  });

  it.each([
    ['no name', '{"cniVersion":"1.0.0","type":"a"}'],
    ['no type', '{"cniVersion":"1.0.0","name":"n"}'],
    ['a type with a slash', '{"cniVersion":"1.0.0","name":"n","type":"../bin/sh"}'],
  ])('rejects a config with %s', (_, text) => {
    expect(() => parseConf(text)).toThrow(expect.objectContaining({ code: 'ERR_CNI_CONFIG' }));
  });
});

describe('parsePluginConf', () => {
  it('lists only the capabilities declared true', () => {
    const plugin = parsePluginConf('{"type":"portmap","capabilities":{"portMappings":true,"bandwidth":false,"ips":true}}');
    expect(plugin.capabilities).toEqual(['portMappings', 'ips']);
    expect(plugin.type).toBe('portmap');
  });

  it('rejects capabilities that are not booleans', () => {
    expect(() => parsePluginConf('{"type":"portmap","capabilities":{"portMappings":"yes"}}')).toThrow(
      expect.objectContaining({ code: 'ERR_CNI_CONFIG' }),
    );
  });
});
