// Conformance lines C80-C89 (docs/CONFORMANCE.md): where this library does better than the Go one.

import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { findPlugin, loadNetworkDirectory, loadNetworkList, parseConfList, type NetworkConfigList } from '../../src/index.js';
import { readPids, waitForExit, waitForFile } from '../helpers/processes.js';
import { RT, builtLibrary, calls, cniEnv, createFakeEnv, installChain, readJson, rejectionOf, shPlugin, stdinOf, versionAnswer } from './support.js';

const oneList = (type: string, version = '1.0.0', name = 'bnet') => parseConfList(JSON.stringify({ cniVersion: version, name, plugins: [{ type }] }));

/** Runs a module text with node; resolves with the exit code and output. */
function runNode(code: string, args: string[], onStart?: (pid: number) => void): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  onStart?.(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const limit = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exit, signal) => {
      clearTimeout(limit);
      resolve({ code: exit, signal, stdout, stderr });
    });
  });
}

describe('better than the Go library', () => {
  it('C80: DEL and CHECK replay the capability args and CNI_ARGS cached at ADD time', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['pm'], { pluginExtra: { pm: { capabilities: { portMappings: true } } } });
    const cni = env.cni();
    const portMappings = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }];
    await cni.addNetworkList(list, { ...RT, args: [['K8S_POD_NAME', 'web']], capabilityArgs: { portMappings } });
    const later = { ...RT, args: [['OTHER', 'x']] as [string, string][], capabilityArgs: { portMappings: [] } };
    await cni.checkNetworkList(list, later);
    await cni.delNetworkList(list, later);
    const [, check, del] = await env.invocations();
    for (const run of [check, del]) {
      expect(stdinOf(run)['runtimeConfig']).toEqual({ portMappings });
      expect(run!.env['CNI_ARGS']).toBe('K8S_POD_NAME=web');
    }
  });

  it('C81: a plugin that exits without reading its stdin gives a result or a typed error, never an unhandled exception', async () => {
    const env = await createFakeEnv();
    await env.install('nostdin', 'no-stdin');
    await shPlugin(env.binDir, 'quitter', 'echo "$$" > /dev/null\nexit 1');
    const unhandled: unknown[] = [];
    const record = (error: unknown) => unhandled.push(error);
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);
    try {
      const huge = JSON.stringify({ cniVersion: '1.0.0', name: 'big', plugins: [{ type: 'nostdin', pad: 'x'.repeat(4 << 20) }] });
      expect(await env.cni().addNetworkList(parseConfList(huge), RT)).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.1.0.2/24' }] });
      const quitter = JSON.stringify({ cniVersion: '1.0.0', name: 'big', plugins: [{ type: 'quitter', pad: 'x'.repeat(4 << 20) }] });
      await expect(env.cni({ rollbackOnFailure: false }).addNetworkList(parseConfList(quitter), { ...RT, containerId: 'c2' })).rejects.toMatchObject({
        code: 'ERR_CNI_PLUGIN_EXEC',
        exitCode: 1,
      });
      await sleep(50);
    } finally {
      process.off('uncaughtException', record);
      process.off('unhandledRejection', record);
    }
    expect(unhandled).toEqual([]);
  });

  it('C82: output past the cap gives a typed error and the plugin is killed (stdout and stderr)', async () => {
    const env = await createFakeEnv();
    await env.install('flood', 'flood');
    await shPlugin(env.binDir, 'errflood', 'cat > /dev/null\necho $$ > "$FAKE_DIR/errflood.pid"\nexec yes "spam on stderr" >&2');
    const cni = env.cni({ maxOutputBytes: 64 * 1024, rollbackOnFailure: false });
    for (const type of ['flood', 'errflood']) {
      const error = await rejectionOf(cni.addNetworkList(oneList(type), RT));
      expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN_EXEC', plugin: type });
      expect(error.message).toContain('more output than allowed');
      const pid = Number(await waitForFile(path.join(env.recordDir, `${type}.pid`)));
      expect(await waitForExit(pid)).toBe(true);
    }
  });

  it('C83: on timeout or abort the whole process group goes, children included', async () => {
    const env = await createFakeEnv();
    await env.install('forker', 'forker');
    const cni = env.cni({ pluginTimeout: 300, killGrace: 200, rollbackOnFailure: false });
    await expect(cni.addNetworkList(oneList('forker'), RT)).rejects.toMatchObject({ code: 'ERR_CNI_TIMEOUT' });
    const pids = await readPids(path.join(env.recordDir, 'forker.pids'));
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(await waitForExit(pid)).toBe(true);

    const file = path.join(env.recordDir, 'forker.pids');
    await writeFile(file, '');
    const controller = new AbortController();
    const adding = env.cni({ killGrace: 200, rollbackOnFailure: false }).addNetworkList(oneList('forker'), { ...RT, containerId: 'c2' }, { signal: controller.signal });
    for (let i = 0; i < 100 && (await readPids(file)).length < 2; i++) await sleep(20);
    controller.abort();
    await expect(adding).rejects.toMatchObject({ code: 'ERR_CNI_ABORTED' });
    const second = await readPids(file);
    expect(second).toHaveLength(2);
    for (const pid of second) expect(await waitForExit(pid)).toBe(true);
  });

  it('C84: killing a writer at any moment leaves the cache file with its old or its new content', async () => {
    const env = await createFakeEnv();
    const { cache } = await builtLibrary();
    const writer = `
      const { writeCacheEntry } = await import(process.argv[1]);
      const [dir, tag] = process.argv.slice(2);
      const entry = (fill) => ({ kind: 'cniCacheV1', networkName: 'torn', containerId: 'ctr1', ifName: 'eth0', config: new Uint8Array(), capabilityArgs: { fill: fill.repeat(256 * 1024) } });
      await writeCacheEntry(dir, entry(tag));
      process.stdout.write('first\\n');
      for (let i = 0; i < 1e6; i++) await writeCacheEntry(dir, entry(i % 2 ? tag : tag.toUpperCase()));
    `;
    const file = path.join(env.cacheDir, 'results', 'torn-ctr1-eth0');
    const seen = new Set<string>();
    for (let round = 0; round < 8; round++) {
      const tag = String.fromCharCode(97 + round);
      let pid = 0;
      const run = runNode(writer, [new URL(`file://${cache}`).href, env.cacheDir, tag], (started) => (pid = started));
      // Kill it a few milliseconds after its first write, at some point inside a later one.
      for (let i = 0; i < 500; i++) {
        const entry = await readJson(file).catch(() => undefined);
        if ((entry?.['capabilityArgs'] as { fill?: string } | undefined)?.fill?.[0]?.toLowerCase() === tag) break;
        await sleep(5);
      }
      await sleep(3 + round * 4);
      process.kill(pid, 'SIGKILL');
      await run;
      const fill = ((await readJson(file))!['capabilityArgs'] as { fill: string }).fill;
      expect(fill.length).toBe(256 * 1024);
      expect(fill.toLowerCase()).toBe(tag.repeat(256 * 1024));
      seen.add(fill[0]!);
    }
    expect(seen.size).toBeGreaterThan(0);
  });

  it('C85: two processes on one attachment run one after the other; on different attachments they overlap', async () => {
    const env = await createFakeEnv();
    const { index } = await builtLibrary();
    const log = path.join(env.root, 'spans.log');
    await shPlugin(
      env.binDir,
      'slow',
      `cat > /dev/null
if [ "$CNI_COMMAND" = ADD ] || [ "$CNI_COMMAND" = DEL ]; then
  echo "start $CNI_CONTAINERID $(date +%s%N)" >> "${log}"
  sleep 0.6
  echo "end $CNI_CONTAINERID $(date +%s%N)" >> "${log}"
fi
if [ "$CNI_COMMAND" = ADD ]; then echo '{"cniVersion":"1.0.0"}'; fi`,
    );
    const listText = '{"cniVersion":"1.0.0","name":"locknet","plugins":[{"type":"slow"}]}';
    const adder = `
      const { CNI, parseConfList } = await import(process.argv[1]);
      const [bin, cache, list, containerId, op] = process.argv.slice(2);
      const cni = new CNI({ path: [bin], cacheDir: cache });
      const rt = { containerId, netns: '/run/netns/x', ifName: 'eth0' };
      if (op === 'del') await cni.delNetworkList(parseConfList(list), rt);
      else await cni.addNetworkList(parseConfList(list), rt);
    `;
    const href = new URL(`file://${index}`).href;
    const spans = async (ids: [string, string], ops: [string, string] = ['add', 'add']) => {
      await writeFile(log, '');
      const runs = await Promise.all(ids.map((id, index) => runNode(adder, [href, env.binDir, env.cacheDir, listText, id, ops[index]!])));
      for (const run of runs) expect(run.code, run.stderr).toBe(0);
      return (await readFile(log, 'utf8')).trim().split('\n').map((line) => line.split(' '));
    };
    // Both processes use the same attachment (an ADD and a DEL, in either order): the second
    // starts only after the first ended.
    const same = await spans(['same', 'same'], ['add', 'del']);
    expect(same.map(([what]) => what)).toEqual(['start', 'end', 'start', 'end']);
    expect(BigInt(same[1]![2]!) <= BigInt(same[2]![2]!)).toBe(true);

    // Different attachments: each started before the other ended.
    const apart = await spans(['one', 'two']);
    const span = (id: string) => ['start', 'end'].map((what) => BigInt(apart.find((line) => line[0] === what && line[1] === id)![2]!));
    const [one, two] = [span('one'), span('two')];
    expect(one[0]! < two[1]! && two[0]! < one[1]!).toBe(true);
  });

  it('C86: one broken config file does not stop other networks; the error names the file and the reason', async () => {
    const env = await createFakeEnv();
    const broken = await env.writeConfig('10-broken.conflist', '{"cniVersion":"1.0.0","name":"x","plugins":[');
    const typeless = await env.writeConfig('15-typeless.conf', '{"cniVersion":"1.0.0","name":"t"}');
    await env.writeConfig('20-good.conflist', { cniVersion: '1.0.0', name: 'good', plugins: [{ type: 'g' }] });
    const { networks, skipped } = await loadNetworkDirectory(env.confDir);
    expect(networks.map((entry) => entry.name)).toEqual(['good']);
    expect(skipped.map((entry) => entry.file)).toEqual([broken, typeless]);
    expect(skipped[0]!.error.message).toMatch(new RegExp(`^${broken}: invalid JSON`));
    expect(skipped[1]!.error.message).toBe(`${typeless}: missing 'type' at type`);
    expect((await loadNetworkList(env.confDir, 'good')).name).toBe('good');
  });

  it.each(['.', '..', 'a/b', '../evil', 'a\\b', 'evil\u0000x'])('C87: the plugin type %j is refused before any file system access', async (type) => {
    const env = await createFakeEnv();
    // Files a careless lookup would find for some of these names.
    await shPlugin(env.root, 'evil', 'touch "$FAKE_DIR/pwned"; echo \'{"cniVersion":"1.0.0"}\'');
    if (!['.', '..'].includes(type) && !type.includes('\u0000')) await shPlugin(env.binDir, type.replaceAll('/', '_'), 'exit 0');
    await shPlugin(env.binDir, 'a\\b', 'touch "$FAKE_DIR/pwned"');
    const error = await rejectionOf(findPlugin(type, [env.binDir]));
    expect(error).toMatchObject({ code: 'ERR_CNI_INVALID_ARG', cniCode: 7 });
    expect(() => parseConfList(JSON.stringify({ cniVersion: '1.0.0', name: 'n', plugins: [{ type }] }))).toThrow(expect.objectContaining({ code: 'ERR_CNI_CONFIG' }));
    const handMade: NetworkConfigList = { ...oneList('ok'), plugins: [{ type, capabilities: [], conf: { type }, bytes: JSON.stringify({ type }) }] };
    await expect(env.cni().addNetworkList(handMade, RT)).rejects.toMatchObject({ code: 'ERR_CNI_INVALID_ARG' });
    await expect(readFile(path.join(env.recordDir, 'pwned'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('C88: CNI_* from the call always win; inheritEnv passes only an allow-list of the parent environment', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['p']);
    process.env['SPEC_SECRET'] = 'do-not-leak';
    try {
      await env.cni({ inheritEnv: ['PATH'], extraEnv: { CNI_COMMAND: 'XYZ', CNI_PATH: '/wrong', EXTRA: '1' } }).addNetworkList(list, RT);
      await env.cni({ inheritEnv: false }).addNetworkList(list, { ...RT, containerId: 'c2' });
      await env.cni().addNetworkList(list, { ...RT, containerId: 'c3' });
    } finally {
      delete process.env['SPEC_SECRET'];
    }
    const [allow, none, all] = await env.invocations();
    expect(Object.keys(allow!.env).sort()).toEqual(['CNI_ARGS', 'CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_NETNS', 'CNI_PATH', 'EXTRA', 'FAKE_DIR', 'PATH']);
    expect(cniEnv(allow)).toMatchObject({ CNI_COMMAND: 'ADD', CNI_PATH: env.binDir });
    expect(allow!.env['PATH']).toBe(process.env['PATH']);
    expect(Object.keys(none!.env).filter((name) => !name.startsWith('CNI_'))).toEqual(['FAKE_DIR']);
    expect(none!.env['SPEC_SECRET']).toBeUndefined();
    expect(all!.env['SPEC_SECRET']).toBe('do-not-leak');
  });

  it('C89: STATUS and GC go only to plugins whose VERSION answer includes 1.1.0; older ones are skipped, not failed', async () => {
    const env = await createFakeEnv();
    for (const type of ['new', 'old', 'ancient']) await env.install(type);
    await env.answer('new', 'VERSION', { stdout: versionAnswer(['1.0.0', '1.1.0']) });
    await env.answer('old', 'VERSION', { stdout: versionAnswer(['0.4.0', '1.0.0'], '1.0.0') });
    await env.answer('ancient', 'VERSION', { stdout: '{"code":4,"msg":"unknown CNI_COMMAND: VERSION"}', exitCode: 1 });
    for (const type of ['old', 'ancient']) {
      for (const command of ['STATUS', 'GC']) await env.answer(type, command, { stdout: `{"code":4,"msg":"unknown CNI_COMMAND: ${command}"}`, exitCode: 1 });
    }
    const list = parseConfList('{"cniVersion":"1.1.0","name":"mixed","plugins":[{"type":"old"},{"type":"new"},{"type":"ancient"}]}');
    const cni = env.cni();
    await cni.getStatusNetworkList(list);
    await cni.gcNetworkList(list, { validAttachments: [] });
    const runs = await env.invocations();
    expect(calls(runs.filter((run) => run.command !== 'VERSION'))).toEqual(['STATUS new', 'GC new']);
    expect(new Set(calls(runs.filter((run) => run.command === 'VERSION')))).toEqual(new Set(['VERSION old', 'VERSION new', 'VERSION ancient']));
  });
});
