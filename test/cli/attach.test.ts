import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { conflist, expectedContainerId, makeWorld } from './support.js';

const RESULT = { cniVersion: '1.0.0', ips: [{ address: '10.9.8.7/24', gateway: '10.9.8.1' }] };

async function twoPluginWorld() {
  const world = await makeWorld();
  await world.plugin('first');
  await world.plugin('second');
  await world.config('10-net1.conflist', conflist('net1', ['first', 'second']));
  return world;
}

describe('cnitool add, check, del (the Go tool\'s commands)', () => {
  it('prints the result indented by four spaces without a final newline, and exits 0', async () => {
    const world = await twoPluginWorld();
    const run = await world.run(['add', 'net1', '/var/run/netns/x']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(JSON.stringify(RESULT, null, 4));
  });

  it('derives the container ID from the SHA-512 of the absolute netns path', async () => {
    const world = await twoPluginWorld();
    // printf %s /var/run/netns/x | sha512sum | cut -c1-20
    const container = 'cnitool-4acf487154af9777be71';
    expect(expectedContainerId('/var/run/netns/x')).toBe(container);

    await world.run(['add', 'net1', '/var/run/netns/x']);
    expect(await world.runs()).toEqual([
      `first ADD ${container} eth0 /var/run/netns/x -`,
      `second ADD ${container} eth0 /var/run/netns/x -`,
    ]);
    expect(await readdir(path.join(world.cacheDir, 'results'))).toEqual([`net1-${container}-eth0`]);
  });

  it('makes a relative netns path absolute before hashing it', async () => {
    const world = await twoPluginWorld();
    const run = await world.run(['add', 'net1', 'ns1'], { cwd: world.root });
    expect(run.code).toBe(0);
    const netns = path.join(world.root, 'ns1');
    expect((await world.runs())[0]).toBe(`first ADD ${expectedContainerId(netns)} eth0 ${netns} -`);
  });

  it('check and del print nothing, replay the cached CNI_ARGS and remove the cache entry', async () => {
    const world = await twoPluginWorld();
    expect((await world.run(['add', 'net1', '/run/netns/a'], { env: { CNI_ARGS: 'K8S_POD_NAME=web;IgnoreUnknown=1' } })).code).toBe(0);
    expect(await world.run(['check', 'net1', '/run/netns/a'])).toEqual({ code: 0, signal: null, stdout: '', stderr: '' });
    expect(await world.run(['del', 'net1', '/run/netns/a'])).toEqual({ code: 0, signal: null, stdout: '', stderr: '' });
    const container = expectedContainerId('/run/netns/a');
    expect((await world.runs()).slice(2)).toEqual([
      `first CHECK ${container} eth0 /run/netns/a K8S_POD_NAME=web;IgnoreUnknown=1`,
      `second CHECK ${container} eth0 /run/netns/a K8S_POD_NAME=web;IgnoreUnknown=1`,
      `second DEL ${container} eth0 /run/netns/a K8S_POD_NAME=web;IgnoreUnknown=1`,
      `first DEL ${container} eth0 /run/netns/a K8S_POD_NAME=web;IgnoreUnknown=1`,
    ]);
    expect(await readdir(path.join(world.cacheDir, 'results'))).toEqual([]);
  });

  it('takes the interface name from -i, then CNI_IFNAME, and the container ID from --container-id', async () => {
    const world = await twoPluginWorld();
    await world.run(['add', 'net1', '/run/netns/a', '-i', 'net0'], { env: { CNI_IFNAME: 'eth9' } });
    await world.run(['add', 'net1', '/run/netns/b'], { env: { CNI_IFNAME: 'eth9' } });
    await world.run(['add', 'net1', '/run/netns/c', '--container-id', 'ctr-1'], { env: { CNI_IFNAME: '' } });
    const firsts = (await world.runs()).filter((line) => line.startsWith('first'));
    expect(firsts).toEqual([
      `first ADD ${expectedContainerId('/run/netns/a')} net0 /run/netns/a -`,
      `first ADD ${expectedContainerId('/run/netns/b')} eth9 /run/netns/b -`,
      'first ADD ctr-1 eth0 /run/netns/c -',
    ]);
  });

  it('passes CAP_ARGS to the plugins that declare the capability', async () => {
    const world = await makeWorld();
    await world.plugin('pm');
    await world.config('10-pm.conflist', { cniVersion: '1.0.0', name: 'pm', plugins: [{ type: 'pm', capabilities: { portMappings: true } }] });
    const mappings = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }];
    const run = await world.run(['add', 'pm', '/run/netns/a'], { env: { CAP_ARGS: JSON.stringify({ portMappings: mappings, other: 1 }) } });
    expect(run.code).toBe(0);
    expect(JSON.parse(await world.stdin('pm', 'ADD')).runtimeConfig).toEqual({ portMappings: mappings });
  });
});

describe('cnitool add, check, del --json', () => {
  it('prints one line of JSON naming the attachment, with the result for add', async () => {
    const world = await twoPluginWorld();
    const container = expectedContainerId('/run/netns/a');
    const attachment = { network: 'net1', containerId: container, ifName: 'eth0', netns: '/run/netns/a' };
    expect(await world.run(['--json', 'add', 'net1', '/run/netns/a'])).toEqual({
      code: 0,
      signal: null,
      stdout: `${JSON.stringify({ ...attachment, result: RESULT })}\n`,
      stderr: '',
    });
    for (const command of ['check', 'del']) {
      expect(await world.run([command, 'net1', '/run/netns/a', '--json'])).toEqual({
        code: 0,
        signal: null,
        stdout: `${JSON.stringify(attachment)}\n`,
        stderr: '',
      });
    }
  });

  it('prints the error as one JSON object on stderr and nothing on stdout', async () => {
    const world = await twoPluginWorld();
    expect(await world.run(['--json', 'add', 'net1', '/run/netns/a'], { env: { CNI_ARGS: 'x' } })).toEqual({
      code: 1,
      signal: null,
      stdout: '',
      stderr: '{"error":{"code":"ERR_CNI_INVALID_ARG","cniCode":null,"message":"invalid CNI_ARGS pair \\"x\\""}}\n',
    });
    const missing = await world.run(['--json', 'check', 'net1', '/run/netns/a']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr)).toEqual({
      error: {
        code: 'ERR_CNI_CACHE',
        cniCode: null,
        message: `cannot CHECK network "net1" for container ${expectedContainerId('/run/netns/a')}: the cached ADD result does not exist`,
        network: 'net1',
        command: 'CHECK',
      },
    });
  });
});

describe('cnitool add, check, del failures: one line on stderr, exit status 1', () => {
  it.each([
    ['a pair without =', 'a=b;c', 'cnitool: invalid CNI_ARGS pair "c" [ERR_CNI_INVALID_ARG]\n'],
    ['an empty value', 'a=', 'cnitool: invalid CNI_ARGS pair "a=" [ERR_CNI_INVALID_ARG]\n'],
    ['two =', 'a=b=c', 'cnitool: invalid CNI_ARGS pair "a=b=c" [ERR_CNI_INVALID_ARG]\n'],
  ])('rejects CNI_ARGS with %s before running any plugin', async (_, args, stderr) => {
    const world = await twoPluginWorld();
    expect(await world.run(['add', 'net1', '/run/netns/a'], { env: { CNI_ARGS: args } })).toEqual({ code: 1, signal: null, stdout: '', stderr });
    expect(await world.runs()).toEqual([]);
  });

  it('rejects CAP_ARGS that is not JSON, or not an object', async () => {
    const world = await twoPluginWorld();
    const bad = await world.run(['add', 'net1', '/run/netns/a'], { env: { CAP_ARGS: '{' } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^cnitool: CAP_ARGS is not valid JSON: [^\n]+ \[ERR_CNI_INVALID_ARG\]\n$/);
    const list = await world.run(['add', 'net1', '/run/netns/a'], { env: { CAP_ARGS: '[1]' } });
    expect(list.stderr).toBe('cnitool: CAP_ARGS must be a JSON object [ERR_CNI_INVALID_ARG]\n');
    expect(await world.runs()).toEqual([]);
  });

  it('reports an unknown network, a missing config directory and a missing plugin', async () => {
    const world = await twoPluginWorld();
    expect(await world.run(['add', 'nope', '/run/netns/a'])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `cnitool: no net configuration with name "nope" in ${world.confDir} [ERR_CNI_NETWORK_NOT_FOUND]\n`,
    });
    const missing = path.join(world.root, 'missing');
    expect(await world.run(['del', 'net1', '/run/netns/a'], { env: { NETCONFPATH: missing } })).toMatchObject({
      code: 1,
      stderr: `cnitool: no net configurations found in ${missing} [ERR_CNI_NO_CONFIGS]\n`,
    });
    await world.config('20-gone.conflist', conflist('gone', ['first', 'absent']));
    expect(await world.run(['add', 'gone', '/run/netns/a'])).toMatchObject({
      code: 1,
      stderr: `cnitool: failed to find plugin "absent" in path [${world.binDir}] [ERR_CNI_PLUGIN_NOT_FOUND]\n`,
    });
    expect(await world.runs()).toEqual([]);
  });

  it('reports the error a plugin printed, with its spec code, after rolling the ADD back', async () => {
    const world = await twoPluginWorld();
    await world.answer('second', 'ADD', { out: { cniVersion: '1.0.0', code: 7, msg: 'bad subnet', details: 'x' }, code: 1 });
    const run = await world.run(['add', 'net1', '/run/netns/a']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^cnitool: [^\n]*bad subnet[^\n]* \[ERR_CNI_PLUGIN cni=7\]\n$/);
    expect((await world.runs()).map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual([
      'first ADD',
      'second ADD',
      'second DEL',
      'first DEL',
    ]);
  });

  it('stops a hanging plugin after --timeout milliseconds', async () => {
    const world = await twoPluginWorld();
    await world.answer('second', 'ADD', { hang: true });
    const started = Date.now();
    const run = await world.run(['add', 'net1', '/run/netns/a', '--timeout', '300']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^cnitool: plugin type="second" name="net1" failed \(add\): timed out after 300 ms[^\n]* \[ERR_CNI_TIMEOUT\]\n$/);
    const pid = Number(await readFile(path.join(world.fakeDir, 'second.pid'), 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
