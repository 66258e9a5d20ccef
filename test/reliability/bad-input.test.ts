// A catalogue of bad inputs: broken configs, misbehaving plugins, bad runtime arguments. Each must
// fail with our typed error code and a message that says what is wrong, and leave nothing behind:
// no cache file, no lock file, no temp file, no process.

import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CNI,
  isCniError,
  loadConfList,
  loadNetworkDirectory,
  loadNetworkList,
  parseConfList,
  type CNIOptions,
  type CallOptions,
  type CniError,
  type RuntimeConf,
} from '../../src/index.js';
import { NOTHING_LEFT, createWorld, settledLeftovers, type World } from './support.js';

const RT: RuntimeConf = { containerId: 'ctr1', ifName: 'eth0', netns: '/var/run/netns/rel-none' };

interface Case {
  kind: string;
  /** Does the bad thing; must reject. */
  run(world: World): Promise<unknown>;
  code: string;
  message: RegExp;
  cniCode?: number;
}

async function expectFailure(world: World, entry: Case): Promise<CniError> {
  let error: unknown;
  try {
    await entry.run(world);
  } catch (caught) {
    error = caught;
  }
  if (error === undefined) throw new Error(`${entry.kind}: expected a failure, got success`);
  if (!isCniError(error)) throw new Error(`${entry.kind}: expected a typed error, got ${String(error)}`, { cause: error });
  expect(error.code).toBe(entry.code);
  expect(error.message).toMatch(entry.message);
  expect(error.message.length).toBeLessThan(2_000);
  if (entry.cniCode !== undefined) expect(error.cniCode).toBe(entry.cniCode);
  return error;
}

function runCatalogue(cases: readonly Case[]): void {
  it.each(cases.map((entry) => [entry.kind, entry] as const))('%s', async (_kind, entry) => {
    const world = await createWorld();
    await expectFailure(world, entry);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });
}

// ---------------------------------------------------------------------------------------------
// Configs

const parse = (text: string) => async () => parseConfList(text);

async function confFile(world: World, name: string, content: string | Buffer): Promise<string> {
  const file = path.join(world.confDir, name);
  await writeFile(file, content);
  return file;
}

const LIST = (plugins: string) => `{"cniVersion":"1.0.0","name":"n","plugins":${plugins}}`;

const configCases: Case[] = [
  { kind: 'malformed JSON', run: parse('{"cniVersion":"1.0.0","name":"n",'), code: 'ERR_CNI_CONFIG', message: /invalid JSON/, cniCode: 6 },
  { kind: 'network name of the wrong type', run: parse('{"name":5,"plugins":[{"type":"x"}]}'), code: 'ERR_CNI_CONFIG', message: /expected 'name' to be a string at name/ },
  { kind: 'plugin type of the wrong type', run: parse(LIST('[{"type":5}]')), code: 'ERR_CNI_CONFIG', message: /expected 'type' to be a string at plugins\.0\.type/ },
  { kind: 'cniVersion of the wrong type', run: parse('{"cniVersion":1.0,"name":"n","plugins":[{"type":"x"}]}'), code: 'ERR_CNI_CONFIG', message: /expected string, received number at cniVersion/ },
  { kind: 'cniVersion that is not a version', run: parse('{"cniVersion":"latest","name":"n","plugins":[{"type":"x"}]}'), code: 'ERR_CNI_CONFIG', message: /invalid cniVersion "latest"/ },
  { kind: 'capabilities that are not an object', run: parse(LIST('[{"type":"x","capabilities":["portMappings"]}]')), code: 'ERR_CNI_CONFIG', message: /at plugins\.0\.capabilities/ },
  { kind: 'disableCheck that is neither true nor false', run: parse('{"name":"n","disableCheck":"yes","plugins":[{"type":"x"}]}'), code: 'ERR_CNI_CONFIG', message: /expected true or false at disableCheck/ },
  {
    kind: 'config file larger than 1 MiB',
    run: async (world) => loadConfList(await confFile(world, '10-huge.conflist', LIST(`[{"type":"x","pad":"${'a'.repeat(1 << 20)}"}]`))),
    code: 'ERR_CNI_CONFIG',
    message: /is \d+ bytes, more than the 1048576 allowed/,
  },
  {
    kind: 'nesting deeper than the Go library accepts',
    run: parse(LIST(`[{"type":"x","deep":${'['.repeat(20_000)}${']'.repeat(20_000)}}]`)),
    code: 'ERR_CNI_CONFIG',
    message: /more than 10000 levels deep/,
  },
  {
    kind: 'two files with the same network name',
    run: async (world) => {
      await confFile(world, '10-a.conflist', LIST('[{"type":"x"}]'));
      await confFile(world, '20-b.conflist', LIST('[{"type":"y"}]'));
      const directory = await loadNetworkDirectory(world.confDir);
      expect(directory.networks.map((list) => list.plugins[0]!.type)).toEqual(['x']);
      throw directory.skipped[0]!.error;
    },
    code: 'ERR_CNI_CONFIG',
    message: /20-b\.conflist: network "n" is already defined by .*10-a\.conflist/,
  },
  {
    kind: 'symlink loop in the config dir',
    run: async (world) => {
      await symlink('20-b.conflist', path.join(world.confDir, '10-a.conflist'));
      await symlink('10-a.conflist', path.join(world.confDir, '20-b.conflist'));
      const directory = await loadNetworkDirectory(world.confDir);
      expect(directory.networks).toEqual([]);
      expect(directory.skipped).toHaveLength(2);
      return loadNetworkList(world.confDir, 'n');
    },
    code: 'ERR_CNI_NETWORK_NOT_FOUND',
    message: /skipped 2 invalid files: cannot read .*10-a\.conflist: ELOOP/,
  },
  {
    kind: 'dangling symlink in the config dir',
    run: async (world) => {
      await symlink('gone.conflist', path.join(world.confDir, '10-a.conflist'));
      return loadNetworkList(world.confDir, 'n');
    },
    code: 'ERR_CNI_NETWORK_NOT_FOUND',
    message: /skipped 1 invalid file: .*10-a\.conflist: .*(does not exist|ENOENT)/,
  },
  {
    kind: 'byte order mark before the JSON (file)',
    run: async (world) => loadConfList(await confFile(world, '10-bom.conflist', `\uFEFF${LIST('[{"type":"x"}]')}`)),
    code: 'ERR_CNI_CONFIG',
    message: /10-bom\.conflist: config starts with a byte order mark/,
  },
  { kind: 'byte order mark before the JSON (text)', run: parse(`\uFEFF${LIST('[{"type":"x"}]')}`), code: 'ERR_CNI_CONFIG', message: /byte order mark/ },
  {
    kind: 'empty config file',
    run: async (world) => loadConfList(await confFile(world, '10-empty.conflist', '')),
    code: 'ERR_CNI_CONFIG',
    message: /10-empty\.conflist: config is empty/,
  },
  {
    kind: 'bytes that are not UTF-8',
    run: async () => parseConfList(Buffer.concat([Buffer.from('{"cniVersion":"1.0.0","name":"n'), Buffer.from([0xff, 0xfe]), Buffer.from('","plugins":[{"type":"x"}]}')])),
    code: 'ERR_CNI_CONFIG',
    message: /not valid UTF-8/,
  },
  { kind: 'an array at the top level', run: parse('[{"name":"n","plugins":[]}]'), code: 'ERR_CNI_CONFIG', message: /expected a JSON object, got an array/ },
  { kind: 'plugins that is not an array', run: parse('{"cniVersion":"1.0.0","name":"n","plugins":{"type":"x"}}'), code: 'ERR_CNI_CONFIG', message: /'plugins' must be an array/ },
  { kind: 'a plugin entry that is not an object', run: parse(LIST('["bridge"]')), code: 'ERR_CNI_CONFIG', message: /expected a JSON object at plugins\.0, got string/ },
  { kind: 'an empty plugin list', run: parse(LIST('[]')), code: 'ERR_CNI_CONFIG', message: /no plugins in list/ },
  { kind: 'no network name', run: parse('{"cniVersion":"1.0.0","plugins":[{"type":"x"}]}'), code: 'ERR_CNI_CONFIG', message: /no name/ },
  { kind: 'plugin type with ../', run: parse(LIST('[{"type":"../../bin/sh"}]')), code: 'ERR_CNI_CONFIG', message: /invalid plugin type "\.\.\/\.\.\/bin\/sh" at plugins\.0/ },
  { kind: 'NUL in the plugin type', run: parse(LIST('[{"type":"bridge\\u0000x"}]')), code: 'ERR_CNI_CONFIG', message: /invalid plugin type "bridge\\u0000x"/ },
  {
    kind: 'config path that is a directory',
    run: async (world) => {
      await mkdir(path.join(world.confDir, '10-dir.conflist'));
      return loadConfList(path.join(world.confDir, '10-dir.conflist'));
    },
    code: 'ERR_CNI_CONFIG',
    message: /10-dir\.conflist: config is not a regular file/,
  },
  {
    kind: 'config path that is a FIFO (would block a reader)',
    run: async (world) => {
      const file = path.join(world.confDir, '10-fifo.conflist');
      execFileSync('mkfifo', [file]);
      expect((await loadNetworkDirectory(world.confDir)).skipped).toEqual([]);
      return loadConfList(file);
    },
    code: 'ERR_CNI_CONFIG',
    message: /10-fifo\.conflist: config is not a regular file/,
  },
  {
    kind: 'network name with a slash (accepted by the parser, refused before anything runs)',
    run: async (world) => {
      await world.install('rec');
      return world.cni().addNetworkList(parseConfList('{"cniVersion":"1.0.0","name":"../n","plugins":[{"type":"rec"}]}'), RT);
    },
    code: 'ERR_CNI_INVALID_ARG',
    message: /Expected network name .* got "\.\.\/n"/,
  },
];

// ---------------------------------------------------------------------------------------------
// Plugins

/** ADD through a one-plugin list of `type`, installed from `fixture` (misbehave by default). */
function addWith(type: string, options: { fixture?: string; cni?: CNIOptions; plugins?: string[] } = {}) {
  return async (world: World) => {
    if (options.fixture !== '') await world.install(type, options.fixture ?? 'misbehave');
    const { list } = world.list(options.plugins ?? [type]);
    return world.cni(options.cni).addNetworkList(list, RT);
  };
}

const pluginCases: Case[] = [
  { kind: 'plugin missing', run: addWith('absent', { fixture: '' }), code: 'ERR_CNI_PLUGIN_NOT_FOUND', message: /failed to find plugin "absent" in path/ },
  {
    kind: 'plugin not executable',
    run: async (world) => {
      const file = await world.install('noexec', 'rec', { copy: true });
      await chmod(file, 0o644);
      return world.cni().addNetworkList(world.list(['noexec']).list, RT);
    },
    code: 'ERR_CNI_PLUGIN_NOT_FOUND',
    message: /failed to find plugin "noexec" .*\(not executable: .*noexec\)/,
  },
  {
    kind: 'plugin that is a directory',
    run: async (world) => {
      await mkdir(path.join(world.binDir, 'adir'));
      return world.cni().addNetworkList(world.list(['adir']).list, RT);
    },
    code: 'ERR_CNI_PLUGIN_NOT_FOUND',
    message: /failed to find plugin "adir"/,
  },
  {
    kind: 'plugin that is a dangling symlink',
    run: async (world) => {
      await symlink(path.join(world.root, 'nowhere'), path.join(world.binDir, 'dangling'));
      return world.cni().addNetworkList(world.list(['dangling']).list, RT);
    },
    code: 'ERR_CNI_PLUGIN_NOT_FOUND',
    message: /failed to find plugin "dangling"/,
  },
  {
    kind: 'plugin whose #! interpreter is missing',
    run: async (world) => {
      const file = path.join(world.binDir, 'nointerp');
      await writeFile(file, '#!/nonexistent/sh\n', { mode: 0o755 });
      return world.cni().addNetworkList(world.list(['nointerp']).list, RT);
    },
    code: 'ERR_CNI_PLUGIN_EXEC',
    message: /could not be started: .*ENOENT \(the file exists: is its #! interpreter missing\?\)/,
  },
  { kind: 'plugin killed by a signal', run: addWith('segv'), code: 'ERR_CNI_PLUGIN_EXEC', message: /plugin type="segv".*was killed by SIGSEGV without output; stderr: about to crash/ },
  { kind: 'plugin that hangs', run: addWith('hang', { cni: { pluginTimeout: 300, killGrace: 200 } }), code: 'ERR_CNI_TIMEOUT', message: /plugin type="hang".*timed out after 300 ms/ },
  { kind: 'plugin that floods stdout', run: addWith('flood', { cni: { maxOutputBytes: 1 << 16 } }), code: 'ERR_CNI_PLUGIN_EXEC', message: /printed more output than allowed and was killed/ },
  { kind: 'plugin printing text that is not JSON', run: addWith('non-json'), code: 'ERR_CNI_PLUGIN_EXEC', message: /printed output that is not JSON: listening on eth0/ },
  { kind: 'plugin printing two JSON values', run: addWith('two-json'), code: 'ERR_CNI_PLUGIN_EXEC', message: /printed output that is not JSON: \{.*\}\n\{/ },
  { kind: 'plugin printing log lines before its JSON', run: addWith('log-lines'), code: 'ERR_CNI_PLUGIN_EXEC', message: /printed output that is not JSON: plugin starting/ },
  { kind: 'plugin printing a JSON array', run: addWith('array'), code: 'ERR_CNI_RESULT', message: /plugin type="array".*expected a result object, got an array/ },
  { kind: 'plugin printing a JSON number', run: addWith('number'), code: 'ERR_CNI_RESULT', message: /expected a result object, got number/ },
  { kind: 'plugin printing a JSON string', run: addWith('string'), code: 'ERR_CNI_RESULT', message: /expected a result object, got string/ },
  { kind: 'plugin with huge stderr', run: addWith('big-stderr'), code: 'ERR_CNI_PLUGIN_EXEC', message: /printed more output than allowed and was killed; stderr: …e{500,} \(rolled back/ },
  { kind: 'plugin exiting non-zero without output', run: addWith('exit3'), code: 'ERR_CNI_PLUGIN_EXEC', message: /exited with code 3 without output; stderr: something broke/ },
  { kind: 'plugin reporting a CNI error', run: addWith('reported'), code: 'ERR_CNI_PLUGIN', message: /plugin type="reported".*invalid bridge name; contains a slash/, cniCode: 7 },
  { kind: 'plugin failing with JSON that is not a CNI error', run: addWith('odd-error'), code: 'ERR_CNI_PLUGIN_EXEC', message: /exited with code 1 and printed JSON that is not a CNI error/ },
  { kind: 'plugin exiting 0 without a result', run: addWith('silent'), code: 'ERR_CNI_PLUGIN_EXEC', message: /exited with code 0 but printed no result/ },
  {
    kind: 'plugin that is an empty file',
    run: async (world) => {
      await writeFile(path.join(world.binDir, 'empty'), '', { mode: 0o755 });
      return world.cni().addNetworkList(world.list(['empty']).list, RT);
    },
    code: 'ERR_CNI_PLUGIN_EXEC',
    message: /plugin type="empty"/,
  },
  { kind: 'result with an invalid address', run: addWith('bad-ip'), code: 'ERR_CNI_RESULT', message: /invalid 1\.0\.0 result: expected an address in CIDR notation at ips\.0\.address/ },
  { kind: 'result of an unknown version', run: addWith('bad-version'), code: 'ERR_CNI_RESULT', message: /unsupported CNI result version "9\.9\.9"/ },
  {
    kind: 'result nested too deeply to pass on as prevResult',
    run: async (world) => {
      await world.install('deep', 'misbehave');
      await world.install('rec');
      return world.cni().addNetworkList(world.list(['deep', 'rec']).list, RT);
    },
    code: 'ERR_CNI_RESULT',
    message: /plugin type="deep".*cannot be written as JSON/,
  },
];

// ---------------------------------------------------------------------------------------------
// Runtime conf and call options

function addRt(rt: Partial<Record<keyof RuntimeConf, unknown>>, options: { plugin?: Record<string, unknown>; call?: CallOptions } = {}) {
  return async (world: World) => {
    await world.install('rec');
    const { list } = world.list([{ type: 'rec', ...options.plugin }]);
    return world.cni().addNetworkList(list, { ...RT, ...rt } as RuntimeConf, options.call);
  };
}

const circular: Record<string, unknown> = {};
circular['self'] = circular;

const runtimeCases: Case[] = [
  { kind: 'empty container ID', run: addRt({ containerId: '' }), code: 'ERR_CNI_INVALID_ARG', message: /missing containerID/, cniCode: 3 },
  ...['-abc', 'a/b', 'a b', '../etc', 'a;b', 'ctr\n', 'ctr\u00e9'].map(
    (containerId): Case => ({
      kind: `container ID ${JSON.stringify(containerId)}`,
      run: addRt({ containerId }),
      code: 'ERR_CNI_INVALID_ARG',
      message: /Expected `containerId` to start with a letter or digit/,
      cniCode: 4,
    }),
  ),
  { kind: 'container ID that is not a string', run: addRt({ containerId: 42 }), code: 'ERR_CNI_INVALID_ARG', message: /Expected `containerId` to be a string, got number/ },
  { kind: 'interface name of 16 bytes', run: addRt({ ifName: 'eth0123456789012' }), code: 'ERR_CNI_INVALID_ARG', message: /at most 15 bytes long/ },
  { kind: 'interface name of 9 characters but 18 bytes', run: addRt({ ifName: 'ééééééééé' }), code: 'ERR_CNI_INVALID_ARG', message: /at most 15 bytes long/ },
  ...['eth/0', 'eth:0', 'eth 0', 'eth\t0'].map(
    (ifName): Case => ({
      kind: `interface name ${JSON.stringify(ifName)}`,
      run: addRt({ ifName }),
      code: 'ERR_CNI_INVALID_ARG',
      message: /free of \/, : and whitespace/,
    }),
  ),
  { kind: 'interface name ".."', run: addRt({ ifName: '..' }), code: 'ERR_CNI_INVALID_ARG', message: /a name other than \. or \.\./ },
  { kind: 'empty interface name', run: addRt({ ifName: '' }), code: 'ERR_CNI_INVALID_ARG', message: /a non-empty interface name/ },
  { kind: 'interface name that is not a string', run: addRt({ ifName: 0 }), code: 'ERR_CNI_INVALID_ARG', message: /Expected `ifName` to be a string, got number/ },
  { kind: 'netns path with a NUL byte', run: addRt({ netns: '/var/run/netns/a\0b' }), code: 'ERR_CNI_INVALID_ARG', message: /`netns` to be a path without NUL bytes/, cniCode: 8 },
  { kind: 'netns that is not a string', run: addRt({ netns: { path: '/x' } }), code: 'ERR_CNI_INVALID_ARG', message: /Expected `netns` to be a string, got object/ },
  { kind: 'CNI_ARGS value with ;', run: addRt({ args: { K8S_POD_NAME: 'a;b' } }), code: 'ERR_CNI_INVALID_ARG', message: /CNI_ARGS value for K8S_POD_NAME without ; = or NUL/ },
  { kind: 'CNI_ARGS value with =', run: addRt({ args: [['K', 'a=b']] }), code: 'ERR_CNI_INVALID_ARG', message: /CNI_ARGS value for K without ; = or NUL/ },
  { kind: 'CNI_ARGS key with =', run: addRt({ args: [['K=V', 'x']] }), code: 'ERR_CNI_INVALID_ARG', message: /CNI_ARGS key that is not empty and has no ; = or NUL/ },
  { kind: 'CNI_ARGS with an empty key', run: addRt({ args: [['', 'x']] }), code: 'ERR_CNI_INVALID_ARG', message: /CNI_ARGS key that is not empty/ },
  { kind: 'CNI_ARGS with a NUL byte', run: addRt({ args: { K: 'a\0b' } }), code: 'ERR_CNI_INVALID_ARG', message: /without ; = or NUL, got "a\\u0000b"/ },
  { kind: 'CNI_ARGS value that is not a string', run: addRt({ args: { K: 1 } }), code: 'ERR_CNI_INVALID_ARG', message: /CNI_ARGS pairs of two strings/ },
  { kind: 'capability args that are an array', run: addRt({ capabilityArgs: [{ hostPort: 80 }] }), code: 'ERR_CNI_INVALID_ARG', message: /`capabilityArgs` to be an object, got an array/ },
  { kind: 'capability args that are a string', run: addRt({ capabilityArgs: 'portMappings' }), code: 'ERR_CNI_INVALID_ARG', message: /`capabilityArgs` to be an object, got string/ },
  {
    kind: 'capability args with a cycle',
    run: addRt({ capabilityArgs: { portMappings: circular } }, { plugin: { capabilities: { portMappings: true } } }),
    code: 'ERR_CNI_INVALID_ARG',
    message: /`capabilityArgs` to be JSON-serialisable: Converting circular structure to JSON/,
  },
  { kind: 'capability args with a BigInt', run: addRt({ capabilityArgs: { bandwidth: 10n } }), code: 'ERR_CNI_INVALID_ARG', message: /JSON-serialisable: .*BigInt/ },
  { kind: 'call timeout that is not positive', run: addRt({}, { call: { timeout: -1 } }), code: 'ERR_CNI_INVALID_ARG', message: /Expected `timeout` to be a positive number, got -1/ },
  { kind: 'call timeout that is NaN', run: addRt({}, { call: { timeout: Number.NaN } }), code: 'ERR_CNI_INVALID_ARG', message: /Expected `timeout` to be a positive number, got NaN/ },
  { kind: 'concurrency of 0', run: async () => new CNI({ concurrency: 0 }), code: 'ERR_CNI_INVALID_ARG', message: /Expected `concurrency` to be a positive number, got 0/ },
];

describe('bad configs', () => runCatalogue(configCases));
describe('misbehaving plugins', () => runCatalogue(pluginCases));
describe('bad runtime arguments', () => runCatalogue(runtimeCases));

describe('bad inputs that are not errors', () => {
  it('a plugin that exits without reading a large stdin still succeeds (no EPIPE crash)', async () => {
    const world = await createWorld();
    await world.install('no-stdin', 'misbehave');
    const { list } = world.list([{ type: 'no-stdin', pad: 'x'.repeat(512 * 1024) }]);
    const cni = world.cni();
    const result = await cni.addNetworkList(list, RT);
    expect(result).toMatchObject({ cniVersion: '1.0.0', ips: [{ address: '10.99.0.3/16' }] });
    await cni.delNetworkList(list, RT);
    expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
  });

  it.each(['ns1', '/var/run/netns/with space', '/proc/self/../1/ns/net', ''])(
    'an odd but representable netns path %j reaches the plugin unchanged',
    async (netns) => {
      const world = await createWorld();
      await writeFile(
        path.join(world.binDir, 'env'),
        '#!/bin/sh\ncat > /dev/null\nprintf %s "$CNI_NETNS" > "$REL_DIR/netns"\n[ "$CNI_COMMAND" = ADD ] && echo \'{"dns":{}}\'\nexit 0\n',
        { mode: 0o755 },
      );
      const { list } = world.list(['env']);
      const cni = world.cni();
      await cni.addNetworkList(list, { ...RT, netns });
      expect(await readFile(path.join(world.recDir, 'netns'), 'utf8')).toBe(netns);
      await cni.delNetworkList(list, { ...RT, netns });
      expect(await settledLeftovers(world)).toEqual(NOTHING_LEFT);
    },
  );

  it('counts the catalogue', () => {
    const kinds = configCases.length + pluginCases.length + runtimeCases.length;
    console.log(`bad-input catalogue: ${kinds} kinds (${configCases.length} configs, ${pluginCases.length} plugins, ${runtimeCases.length} runtime)`);
    expect(kinds).toBeGreaterThanOrEqual(30);
  });
});
