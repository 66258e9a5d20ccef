import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { conflist, expectedContainerId, makeWorld } from './support.js';

const CONFIG = '{\n  "cniVersion": "1.0.0",\n  "name": "net",\n  "plugins": [{ "type": "p1", "capabilities": { "portMappings": true } }]\n}\n';
const RESULT = { cniVersion: '1.0.0', ips: [{ address: '10.9.8.7/24', gateway: '10.9.8.1' }] };

async function attachedWorld() {
  const world = await makeWorld();
  await world.plugin('p1');
  await world.config('10-net.conflist', CONFIG);
  await world.config('20-other.conflist', conflist('other', ['p1']));
  const env = { CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web', CAP_ARGS: '{"portMappings":[{"hostPort":80,"containerPort":8080}]}' };
  expect((await world.run(['add', 'net', '/run/netns/a'], { env })).code).toBe(0);
  expect((await world.run(['add', 'other', '/run/netns/b', '-i', 'net1'])).code).toBe(0);
  return world;
}

describe('cnitool cache ls', () => {
  it('lists the cached attachments, all or of one container', async () => {
    const world = await attachedWorld();
    const [a, b] = [expectedContainerId('/run/netns/a'), expectedContainerId('/run/netns/b')];
    const run = await world.run(['cache', 'ls']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const rows = [
      ['net', a, 'eth0', '/run/netns/a'],
      ['other', b, 'net1', '/run/netns/b'],
    ].sort((x, y) => `${x[0]}-${x[1]}`.localeCompare(`${y[0]}-${y[1]}`));
    expect(run.stdout).toBe(
      ['NETWORK  CONTAINER ID                  IFNAME  NETNS', ...rows.map((row) => `${row[0]!.padEnd(7)}  ${row[1]}  ${row[2]}    ${row[3]}`), ''].join('\n'),
    );

    const one = JSON.parse((await world.run(['cache', 'ls', a, '--json'])).stdout);
    expect(one).toEqual({
      cacheDir: world.cacheDir,
      attachments: [
        {
          network: 'net',
          containerId: a,
          ifName: 'eth0',
          netns: '/run/netns/a',
          cniArgs: [
            ['IgnoreUnknown', '1'],
            ['K8S_POD_NAME', 'web'],
          ],
          capabilityArgs: { portMappings: [{ hostPort: 80, containerPort: 8080 }] },
          file: path.join(world.cacheDir, 'results', `net-${a}-eth0`),
        },
      ],
      unreadable: [],
    });
  });

  it('says when the cache is empty and names files it cannot read', async () => {
    const world = await makeWorld();
    const results = path.join(world.cacheDir, 'results');
    expect((await world.run(['cache', 'ls'])).stdout).toBe(`no cached attachments in ${results}\n`);
    await mkdir(results, { recursive: true });
    await writeFile(path.join(results, 'net-x-eth0'), 'not json');
    const run = await world.run(['cache', 'ls']);
    expect(run.stdout).toMatch(new RegExp(`^no cached attachments in ${results}\n\nunreadable cache files:\n  ${results}/net-x-eth0: not JSON: .+\n$`));
  });
});

describe('cnitool cache show', () => {
  it('decodes one entry: attachment, cached arguments, config as text, result', async () => {
    const world = await attachedWorld();
    const a = expectedContainerId('/run/netns/a');
    const file = path.join(world.cacheDir, 'results', `net-${a}-eth0`);
    const run = await world.run(['cache', 'show', 'net', '/run/netns/a']);
    expect(run).toEqual({
      code: 0,
      signal: null,
      stderr: '',
      stdout: [
        `file:             ${file}`,
        'network:          net',
        `container ID:     ${a}`,
        'interface:        eth0',
        'netns:            /run/netns/a',
        'CNI_ARGS:         IgnoreUnknown=1;K8S_POD_NAME=web',
        'capability args:  {"portMappings":[{"hostPort":80,"containerPort":8080}]}',
        'config:',
        `${CONFIG}result:`,
        `${JSON.stringify(RESULT, null, 4)}`,
        '',
      ].join('\n'),
    });
    const json = JSON.parse((await world.run(['cache', 'show', 'net', '--container-id', a, '--json'])).stdout);
    expect(json).toEqual({
      file,
      kind: 'cniCacheV1',
      network: 'net',
      containerId: a,
      ifName: 'eth0',
      netns: '/run/netns/a',
      cniArgs: [
        ['IgnoreUnknown', '1'],
        ['K8S_POD_NAME', 'web'],
      ],
      capabilityArgs: { portMappings: [{ hostPort: 80, containerPort: 8080 }] },
      config: CONFIG,
      result: RESULT,
    });
  });

  it('uses -i for the interface and fails with exit status 1 when nothing is cached', async () => {
    const world = await attachedWorld();
    const b = expectedContainerId('/run/netns/b');
    expect((await world.run(['cache', 'show', 'other', '/run/netns/b', '-i', 'net1'])).code).toBe(0);
    const file = path.join(world.cacheDir, 'results', `other-${b}-eth0`);
    expect(await world.run(['cache', 'show', 'other', '/run/netns/b'])).toEqual({
      code: 1,
      signal: null,
      stdout: '',
      stderr: `cnitool: nothing cached for network "other", container ${b}, interface eth0 (no file ${file}) [ERR_CNI_CACHE]\n`,
    });
    const bad = await world.run(['cache', 'show', '../etc', '--container-id', 'x']);
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toMatch(/^cnitool: Expected network name .* got "\.\.\/etc" \[ERR_CNI_INVALID_ARG cni=7\]\n$/);
  });
});
