import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CNI, parseConf, parseConfList } from '../../src/index.js';
import { RT, installChain, resultOf } from '../helpers/chain.js';
import { calls, cniEnv, createFakeEnv, stdinOf } from '../helpers/fake-env.js';
import { readPids, waitForExit, waitForFile } from '../helpers/processes.js';

const PARENT = { CNI_COMMAND: 'XYZ', CNI_IFNAME: 'stale0', LIBCNI_PARENT_MARK: 'inherited' };
let saved: Record<string, string | undefined>;

beforeEach(() => {
  saved = Object.fromEntries(Object.keys(PARENT).map((name) => [name, process.env[name]]));
  Object.assign(process.env, PARENT);
});

afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

async function cacheFiles(cacheDir: string): Promise<string[]> {
  return readdir(path.join(cacheDir, 'results')).catch(() => []);
}

describe('CNI.addNetworkList', () => {
  it('runs the plugins in order with the exact CNI_* env, inheriting the parent env', async () => {
    const env = await createFakeEnv();
    const spare = path.join(env.root, 'spare');
    await mkdir(spare);
    const { list } = await installChain(env, ['q1', 'q2', 'q3']);
    await env.cni({ path: [spare, env.binDir] }).addNetworkList(list, { ...RT, args: [['IgnoreUnknown', '1'], ['K8S_POD_NAME', 'web']] });

    const runs = await env.invocations();
    expect(calls(runs)).toEqual(['ADD q1', 'ADD q2', 'ADD q3']);
    for (const run of runs) {
      expect(cniEnv(run)).toEqual({
        CNI_COMMAND: 'ADD',
        CNI_CONTAINERID: 'ctr1',
        CNI_NETNS: '/run/netns/ns1',
        CNI_IFNAME: 'eth0',
        CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web',
        CNI_PATH: `${spare}:${env.binDir}`,
      });
      expect(run.env['LIBCNI_PARENT_MARK']).toBe('inherited');
      expect(run.env['FAKE_DIR']).toBe(env.recordDir);
    }
  });

  it('sets CNI_ARGS to an empty string when there are no args', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    await env.cni().addNetworkList(list, RT);
    const [run] = await env.invocations();
    expect(run!.env['CNI_ARGS']).toBe('');
    expect(Object.keys(cniEnv(run))).toHaveLength(6);
  });

  it('sends each plugin its config byte for byte with the list name and version, chaining prevResult', async () => {
    const env = await createFakeEnv();
    await installChain(env, ['q1', 'q2', 'q3']);
    const text =
      '{"cniVersion":"1.0.0","name":"chainnet","plugins":[{"type":"q1","name":"mine","cniVersion":"0.3.1","big":12345678901234567890,"s":"<a&b>"},{"type":"q2","nested":{"k":[1,{"z":true}]}},{"type":"q3"}]}';
    await env.cni().addNetworkList(parseConfList(text), RT);

    const runs = await env.invocations();
    expect(runs[0]!.stdin).toBe(
      '{"type":"q1","name":"chainnet","cniVersion":"1.0.0","big":12345678901234567890,"s":"<a&b>"}',
    );
    expect(runs[1]!.stdin).toBe(
      `{"type":"q2","nested":{"k":[1,{"z":true}]},"name":"chainnet","cniVersion":"1.0.0","prevResult":${JSON.stringify(resultOf('q1', 0))}}`,
    );
    expect(stdinOf(runs[2]).prevResult).toEqual(resultOf('q2', 1));
  });

  it('gives runtimeConfig only to plugins declaring the capability true', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['bridge', 'portmap', 'tuning'], {
      pluginExtra: {
        bridge: { capabilities: { portMappings: false } },
        portmap: { capabilities: { portMappings: true, bandwidth: true } },
      },
    });
    const portMappings = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }];
    await env.cni().addNetworkList(list, { ...RT, capabilityArgs: { portMappings, ips: ['10.0.0.9/24'] } });
    const runs = await env.invocations();
    expect(stdinOf(runs[0])).not.toHaveProperty('runtimeConfig');
    expect(stdinOf(runs[1]).runtimeConfig).toEqual({ portMappings });
    expect(stdinOf(runs[2])).not.toHaveProperty('runtimeConfig');
  });

  it('returns the last result in the list version and caches it in the Go library format', async () => {
    const env = await createFakeEnv();
    const { list, text } = await installChain(env, ['q1', 'q2']);
    // The last plugin answers in an older version; the caller still gets the list's version.
    await env.answer('q2', 'ADD', { stdout: '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.88.0.11/16"}]}' });
    const capabilityArgs = { portMappings: [{ hostPort: 1, containerPort: 2, protocol: 'udp' }] };
    const result = await env.cni().addNetworkList(list, { ...RT, args: { K: 'V' }, capabilityArgs });

    expect(result).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.88.0.11/16' }] });
    const file = path.join(env.cacheDir, 'results', 'chainnet-ctr1-eth0');
    expect(await readFile(file, 'utf8')).toBe(
      JSON.stringify({
        kind: 'cniCacheV1',
        containerId: 'ctr1',
        config: Buffer.from(text).toString('base64'),
        ifName: 'eth0',
        networkName: 'chainnet',
        netns: '/run/netns/ns1',
        cniArgs: [['K', 'V']],
        capabilityArgs,
        result: { cniVersion: '1.0.0', ips: [{ address: '10.88.0.11/16' }] },
      }),
    );
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
  });

  it('caches the exact bytes of a config file, whitespace included', async () => {
    const env = await createFakeEnv();
    await installChain(env, ['q1']);
    const text = '{\n  "cniVersion": "1.0.0",\n  "name": "chainnet",\n  "plugins": [ { "type": "q1", "n": 1.0 } ]\n}\n';
    await env.cni().addNetworkList(parseConfList(new TextEncoder().encode(text)), RT);
    const cached = JSON.parse(await readFile(path.join(env.cacheDir, 'results', 'chainnet-ctr1-eth0'), 'utf8'));
    expect(Buffer.from(cached.config, 'base64').toString()).toBe(text);
  });

  it('reads a result without cniVersion in the list version', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['nover'], { name: 'neta' });
    await env.answer('nover', 'ADD', {
      stdout: '{"interfaces":[{"name":"eth0","sandbox":"/var/run/netns/ns1"}],"ips":[{"address":"10.88.0.14/16","interface":0}]}',
    });
    const result = await env.cni().addNetworkList(list, RT);
    expect(result).toEqual({
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', sandbox: '/var/run/netns/ns1' }],
      ips: [{ address: '10.88.0.14/16', interface: 0 }],
    });
    const cached = JSON.parse(await readFile(path.join(env.cacheDir, 'results', 'neta-ctr1-eth0'), 'utf8'));
    expect(cached.result.cniVersion).toBe('1.0.0');
  });

  it('converts a result without addresses down to a 0.2.0 config without failing', async () => {
    const env = await createFakeEnv();
    await env.install('loopy');
    await env.answer('loopy', 'ADD', { stdout: '{"cniVersion":"0.3.1","interfaces":[{"name":"lo","sandbox":"/var/run/netns/ns1"}],"dns":{}}' });
    const list = parseConf('{"cniVersion":"0.2.0","name":"lo","type":"loopy"}');
    expect(await env.cni().addNetworkList(list, { ...RT, ifName: 'lo' })).toEqual({ cniVersion: '0.2.0', dns: {} });
  });

  it('treats a plugin printing null as an empty result of the list version', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    await env.answer('q1', 'ADD', { stdout: 'null' });
    expect(await env.cni().addNetworkList(list, RT)).toEqual({ cniVersion: '1.0.0' });
  });

  it('passes the previous result on through a plugin that echoes prevResult', async () => {
    const env = await createFakeEnv();
    await installChain(env, ['q1']);
    await env.install('echo', 'passthrough');
    const list = parseConfList('{"cniVersion":"1.0.0","name":"chainnet","plugins":[{"type":"q1"},{"type":"echo"}]}');
    expect(await env.cni().addNetworkList(list, RT)).toEqual(resultOf('q1', 0));
  });

  it('fails with ERR_CNI_RESULT for an unknown result version, naming plugin, network and command', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2']);
    await env.answer('q2', 'ADD', { stdout: '{"cniVersion":"5.0.0"}' });
    await expect(env.cni({ rollbackOnFailure: false }).addNetworkList(list, RT)).rejects.toMatchObject({
      code: 'ERR_CNI_RESULT',
      network: 'chainnet',
      plugin: 'q2',
      command: 'ADD',
      message: 'plugin type="q2" name="chainnet" failed (add): unsupported CNI result version "5.0.0"',
    });
  });

  it('fails when a plugin exits 0 without printing a result', async () => {
    const env = await createFakeEnv();
    await env.install('quiet', 'silent');
    const list = parseConfList('{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"quiet"}]}');
    await expect(env.cni({ rollbackOnFailure: false }).addNetworkList(list, RT)).rejects.toMatchObject({
      code: 'ERR_CNI_PLUGIN_EXEC',
      exitCode: 0,
      message: 'plugin type="quiet" name="n" failed (add): exited with code 0 but printed no result',
    });
  });

  it('reports a pretty-printed error object with its spec code, message and stderr', async () => {
    const env = await createFakeEnv();
    await env.install('pretty', 'pretty-error');
    const list = parseConfList('{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"pretty"}]}');
    await expect(env.cni({ rollbackOnFailure: false }).addNetworkList(list, RT)).rejects.toMatchObject({
      name: 'PluginReportedError',
      code: 'ERR_CNI_PLUGIN',
      cniCode: 7,
      exitCode: 1,
      msg: 'invalid bridge name',
      details: 'name "br/0" contains a slash',
      stderr: 'pretty-error: about to fail\n',
      network: 'n',
      plugin: 'pretty',
      command: 'ADD',
      message: 'plugin type="pretty" name="n" failed (add): invalid bridge name; name "br/0" contains a slash',
    });
  });

  it.each([
    ['garbage', { FAKE_EXIT: '0' }, { exitCode: 0, stderr: 'garbage on stderr\n' }, 'printed output that is not JSON: this is {not json'],
    ['garbage', { FAKE_EXIT: '2' }, { exitCode: 2 }, 'exited with code 2 and printed output that is not JSON: this is {not json'],
    ['crash', {}, { exitCode: undefined, signal: 'SIGSEGV', stdout: '' }, 'was killed by SIGSEGV without output'],
  ])('reports the %s fixture (env %j) as ERR_CNI_PLUGIN_EXEC', async (fixture, extraEnv, fields, text) => {
    const env = await createFakeEnv();
    await env.install('bad', fixture);
    const list = parseConfList('{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bad"}]}');
    const error = await env
      .cni({ rollbackOnFailure: false, extraEnv })
      .addNetworkList(list, RT)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN_EXEC', path: path.join(env.binDir, 'bad'), ...fields });
    expect((error as Error).message).toContain(`plugin type="bad" name="n" failed (add): ${text}`);
  });

  it('stops at the first failing plugin, writes no cache, and rolls back with DEL in reverse', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2', 'q3']);
    await env.answer('q2', 'ADD', { stdout: '{"code":11,"msg":"later"}', exitCode: 1 });
    const error = await env.cni().addNetworkList(list, RT).catch((caught: unknown) => caught);

    expect(error).toMatchObject({
      code: 'ERR_CNI_PLUGIN',
      cniCode: 11,
      plugin: 'q2',
      rollback: { ok: true },
      message: 'plugin type="q2" name="chainnet" failed (add): later (rolled back: DEL succeeded)',
    });
    const runs = await env.invocations();
    expect(calls(runs)).toEqual(['ADD q1', 'ADD q2', 'DEL q3', 'DEL q2', 'DEL q1']);
    for (const run of runs.slice(2)) {
      expect(stdinOf(run)).not.toHaveProperty('prevResult');
      expect(run.env['CNI_CONTAINERID']).toBe('ctr1');
    }
    expect(await cacheFiles(env.cacheDir)).toEqual([]);
  });

  it('reports a rollback that failed too', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2']);
    await env.answer('q2', 'ADD', { stdout: '{"code":100,"msg":"no"}', exitCode: 1 });
    await env.answer('q1', 'DEL', { stdout: '{"code":5,"msg":"stuck"}', exitCode: 1 });
    const error = (await env.cni().addNetworkList(list, RT).catch((caught: unknown) => caught)) as {
      rollback: { ok: boolean; error: { cniCode: number; plugin: string } };
      message: string;
    };
    expect(error.rollback).toMatchObject({ ok: false, error: { cniCode: 5, plugin: 'q1', code: 'ERR_CNI_PLUGIN' } });
    expect(error.message).toBe(
      'plugin type="q2" name="chainnet" failed (add): no (rollback DEL failed too: plugin type="q1" name="chainnet" failed (del): stuck)',
    );
    expect(calls(await env.invocations())).toEqual(['ADD q1', 'ADD q2', 'DEL q2', 'DEL q1']);
  });

  it('does not roll back with rollbackOnFailure false', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2', 'q3']);
    await env.answer('q2', 'ADD', { stdout: '{"code":11,"msg":"later"}', exitCode: 1 });
    const error = await env.cni({ rollbackOnFailure: false }).addNetworkList(list, RT).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ cniCode: 11, rollback: undefined, message: 'plugin type="q2" name="chainnet" failed (add): later' });
    expect(calls(await env.invocations())).toEqual(['ADD q1', 'ADD q2']);
    expect(await cacheFiles(env.cacheDir)).toEqual([]);
  });

  it('fails before running any plugin when one of them is not installed', async () => {
    const env = await createFakeEnv();
    await installChain(env, ['q1']);
    const withMissing = parseConfList('{"cniVersion":"1.0.0","name":"chainnet","plugins":[{"type":"q1"},{"type":"notinstalled"}]}');
    await expect(env.cni().addNetworkList(withMissing, RT)).rejects.toMatchObject({
      code: 'ERR_CNI_PLUGIN_NOT_FOUND',
      plugin: 'notinstalled',
      network: 'chainnet',
      message: `failed to find plugin "notinstalled" in path [${env.binDir}]`,
    });
    expect(await env.invocations()).toEqual([]);
  });

  it('rolls the chain back when the cache file cannot be written after a successful chain', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2']);
    // A non-empty directory where the cache file should go makes the final rename fail.
    await mkdir(path.join(env.cacheDir, 'results', 'chainnet-ctr1-eth0', 'blocker'), { recursive: true });
    await expect(env.cni().addNetworkList(list, RT)).rejects.toMatchObject({
      code: 'ERR_CNI_CACHE',
      file: path.join(env.cacheDir, 'results', 'chainnet-ctr1-eth0'),
      rollback: { ok: true },
    });
    expect(calls(await env.invocations())).toEqual(['ADD q1', 'ADD q2', 'DEL q2', 'DEL q1']);
    expect(await cacheFiles(env.cacheDir)).toEqual(['chainnet-ctr1-eth0']);
  });

  it('fails with ERR_CNI_CACHE before running any plugin when the cache dir cannot be created', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    const blocker = path.join(env.root, 'not-a-dir');
    await writeFile(blocker, '');
    await expect(env.cni({ cacheDir: blocker }).addNetworkList(list, RT)).rejects.toMatchObject({ code: 'ERR_CNI_CACHE' });
    expect(await env.invocations()).toEqual([]);
  });

  it.each([
    ['an empty container ID', { containerId: '' }, 3],
    ['a container ID starting with -', { containerId: '-abc' }, 4],
    ['a container ID with a slash', { containerId: 'a/b' }, 4],
    ['an empty ifName', { ifName: '' }, 4],
    ['a 16-byte ifName', { ifName: 'abcdefghijklmnop' }, 4],
    ['the ifName ..', { ifName: '..' }, 4],
    ['an ifName with a colon', { ifName: 'eth0:1' }, 4],
  ])('rejects %s with cniCode %i before running anything', async (_, override, cniCode) => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    await expect(env.cni().addNetworkList(list, { ...RT, ...override })).rejects.toMatchObject({
      code: 'ERR_CNI_INVALID_ARG',
      cniCode,
    });
    expect(await env.invocations()).toEqual([]);
  });

  it.each(['_net', 'a/b', '..'])('rejects the network name %j with cniCode 7', async (name) => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1'], { name });
    await expect(env.cni().addNetworkList(list, RT)).rejects.toMatchObject({ code: 'ERR_CNI_INVALID_ARG', cniCode: 7 });
    expect(await env.invocations()).toEqual([]);
  });

  it('rejects CNI_ARGS a plugin could not parse back, before running anything', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    await expect(env.cni().addNetworkList(list, { ...RT, args: [['K', 'a;B=c']] })).rejects.toMatchObject({
      code: 'ERR_CNI_INVALID_ARG',
    });
    expect(await env.invocations()).toEqual([]);
  });

  it('kills a hung plugin and the child it forked at pluginTimeout, and reports ERR_CNI_TIMEOUT', async () => {
    const env = await createFakeEnv();
    await env.install('stuck', 'forker');
    const list = parseConfList('{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"stuck"}]}');
    const cni = env.cni({ pluginTimeout: 1_000, killGrace: 200, rollbackOnFailure: false });
    await expect(cni.addNetworkList(list, RT)).rejects.toMatchObject({
      name: 'TimeoutError',
      code: 'ERR_CNI_TIMEOUT',
      timeout: 1_000,
      plugin: 'stuck',
      network: 'n',
      command: 'ADD',
      message: 'plugin type="stuck" name="n" failed (add): timed out after 1000 ms',
    });
    const pids = await readPids(path.join(env.recordDir, 'forker.pids'));
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(await waitForExit(pid)).toBe(true);
    expect(await cacheFiles(env.cacheDir)).toEqual([]);
  });

  it('waits for the output of a plugin whose child holds stdout, then kills that child at pluginTimeout', async () => {
    const env = await createFakeEnv();
    await env.install('leaky', 'leaky-child');
    const list = parseConfList('{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"leaky"}]}');
    // Like the Go library, the run is not over until stdout closes; unlike it, the child dies too.
    await expect(env.cni({ pluginTimeout: 1_000, killGrace: 200, rollbackOnFailure: false }).addNetworkList(list, RT)).rejects.toMatchObject({
      code: 'ERR_CNI_TIMEOUT',
      plugin: 'leaky',
    });
    const [pid] = await readPids(path.join(env.recordDir, 'leaky-child.pid'));
    expect(await waitForExit(pid!)).toBe(true);
  });

  it('reports ERR_CNI_TIMEOUT when the whole call runs past its timeout', async () => {
    const env = await createFakeEnv();
    await env.install('stuck', 'hang');
    const list = parseConfList('{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"stuck"}]}');
    const cni = env.cni({ killGrace: 200, rollbackOnFailure: false });
    await expect(cni.addNetworkList(list, RT, { timeout: 1_000 })).rejects.toMatchObject({ code: 'ERR_CNI_TIMEOUT', timeout: 1_000 });
    const [pid] = await readPids(path.join(env.recordDir, 'hang.pid'));
    expect(await waitForExit(pid!)).toBe(true);
  });

  it('still rolls back, and says so, when the whole call times out mid-chain', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2']);
    await env.answer('q2', 'ADD', { sleep: 30 });
    const error = await env.cni({ killGrace: 200 }).addNetworkList(list, RT, { timeout: 1_000 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_CNI_TIMEOUT', timeout: 1_000, rollback: { ok: true } });
    expect(calls(await env.invocations())).toEqual(['ADD q1', 'ADD q2', 'DEL q2', 'DEL q1']);
    expect(await cacheFiles(env.cacheDir)).toEqual([]);
  });

  it('spawns nothing when the signal has already fired', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1']);
    const reason = new Error('shutting down');
    await expect(env.cni().addNetworkList(list, RT, { signal: AbortSignal.abort(reason) })).rejects.toMatchObject({
      code: 'ERR_CNI_ABORTED',
      cause: reason,
    });
    expect(await env.invocations()).toEqual([]);
    expect(await cacheFiles(env.cacheDir)).toEqual([]);
  });

  it('kills the running plugin and its child when the signal fires mid-run', async () => {
    const env = await createFakeEnv();
    await installChain(env, ['q1']);
    await env.install('stuck', 'forker');
    const list = parseConfList('{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"q1"},{"type":"stuck"}]}');
    const controller = new AbortController();
    const adding = env.cni({ killGrace: 200, rollbackOnFailure: false }).addNetworkList(list, RT, { signal: controller.signal });
    await waitForFile(path.join(env.recordDir, 'forker.pids'));
    controller.abort('stop now');
    await expect(adding).rejects.toMatchObject({ code: 'ERR_CNI_ABORTED', plugin: 'stuck', cause: 'stop now' });
    for (const pid of await readPids(path.join(env.recordDir, 'forker.pids'))) expect(await waitForExit(pid)).toBe(true);
    expect(calls(await env.invocations())).toEqual(['ADD q1']);
  });

  it('gives a typed error, not a crash, when a plugin exits without reading a large stdin', async () => {
    const env = await createFakeEnv();
    await env.install('deaf', 'no-stdin');
    const list = parseConfList(
      JSON.stringify({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'deaf', pad: 'x'.repeat(2 * 1024 * 1024) }] }),
    );
    // The plugin answered before the pipe broke; the broken pipe must not turn into a crash.
    const result = await env.cni({ rollbackOnFailure: false }).addNetworkList(list, RT);
    expect(result).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.1.0.2/24' }] });
  });

  it('kills a plugin that floods stdout past maxOutputBytes', async () => {
    const env = await createFakeEnv();
    await env.install('loud', 'flood');
    const list = parseConfList('{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"loud"}]}');
    await expect(env.cni({ maxOutputBytes: 64 * 1024, rollbackOnFailure: false }).addNetworkList(list, RT)).rejects.toMatchObject({
      code: 'ERR_CNI_PLUGIN_EXEC',
      plugin: 'loud',
      // `yes` may still complain on stderr about the closed pipe; that part of the message varies.
      message: expect.stringMatching(/^plugin type="loud" name="n" failed \(add\): printed more output than allowed and was killed/),
    });
    const [pid] = await readPids(path.join(env.recordDir, 'flood.pid'));
    expect(await waitForExit(pid!)).toBe(true);
  });

  it('hands every plugin stderr to onStderr, successful runs included', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['q1', 'q2']);
    await env.answer('q1', 'ADD', { stderr: 'q1 says hi\n' });
    const seen: unknown[] = [];
    await env.cni({ onStderr: (text, where) => seen.push([text, where]) }).addNetworkList(list, RT);
    expect(seen).toEqual([['q1 says hi\n', { network: 'chainnet', plugin: 'q1', command: 'ADD' }]]);
  });
});

describe('new CNI', () => {
  it('uses /var/lib/cni as the default cache dir and splits a string path on :', () => {
    const cni = new CNI({ path: '/opt/cni/bin:/usr/lib/cni' });
    expect(cni.cacheDir).toBe('/var/lib/cni');
    expect(cni.path).toEqual(['/opt/cni/bin', '/usr/lib/cni']);
  });

  it.each([
    ['pluginTimeout', 0],
    ['killGrace', -1],
    ['maxOutputBytes', Number.NaN],
    ['concurrency', 0],
    ['cleanupTimeout', Number.POSITIVE_INFINITY],
  ])('rejects %s = %d', (option, value) => {
    expect(() => new CNI({ [option]: value })).toThrow(
      expect.objectContaining({ code: 'ERR_CNI_INVALID_ARG', message: `Expected \`${option}\` to be a positive number, got ${value}` }),
    );
  });
});
