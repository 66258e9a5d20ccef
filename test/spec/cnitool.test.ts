// Conformance lines C77-C79 (docs/CONFORMANCE.md): the cnitool command line, run as a user runs it.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtLibrary, calls, createFakeEnv, resultOf, type FakeEnv } from './support.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function cnitool(env: FakeEnv, args: string[], extra: Record<string, string> = {}, cwd?: string): Promise<Run> {
  const { bin } = await builtLibrary();
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: cwd ?? env.root,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', NETCONFPATH: env.confDir, CNI_PATH: env.binDir, CNI_CACHE_DIR: env.cacheDir, FAKE_DIR: env.recordDir, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const limit = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(limit);
      resolve({ code, stdout, stderr });
    });
  });
}

const idFor = (netns: string) => `cnitool-${createHash('sha512').update(path.resolve(netns)).digest('hex').slice(0, 20)}`;

async function world(): Promise<FakeEnv> {
  const env = await createFakeEnv();
  await env.install('p');
  await env.answer('p', 'ADD', { stdout: JSON.stringify(resultOf('p', 0)) });
  await env.writeConfig('10-toolnet.conflist', { cniVersion: '1.0.0', name: 'toolnet', plugins: [{ type: 'p' }] });
  return env;
}

describe('cnitool', () => {
  it('C77: add loads from NETCONFPATH, picks the ifname from -i / CNI_IFNAME / eth0, derives the container ID and prints 4-space JSON', async () => {
    const env = await world();
    const added = await cnitool(env, ['add', 'toolnet', '/var/run/netns/tool1']);
    expect(added.code).toBe(0);
    expect(added.stdout.trimEnd()).toBe(JSON.stringify(resultOf('p', 0), null, 4));
    await cnitool(env, ['add', 'toolnet', '/var/run/netns/tool2'], { CNI_IFNAME: 'net7' });
    await cnitool(env, ['add', 'toolnet', '/var/run/netns/tool3', '-i', 'net9'], { CNI_IFNAME: 'net7' });
    await mkdir(path.join(env.root, 'rel'));
    await cnitool(env, ['add', 'toolnet', 'ns4'], {}, path.join(env.root, 'rel'));
    const runs = await env.invocations();
    expect(runs.map((run) => [run.env['CNI_CONTAINERID'], run.env['CNI_IFNAME'], run.env['CNI_NETNS']])).toEqual([
      [idFor('/var/run/netns/tool1'), 'eth0', '/var/run/netns/tool1'],
      [idFor('/var/run/netns/tool2'), 'net7', '/var/run/netns/tool2'],
      [idFor('/var/run/netns/tool3'), 'net9', '/var/run/netns/tool3'],
      [idFor(path.join(env.root, 'rel', 'ns4')), 'eth0', path.join(env.root, 'rel', 'ns4')],
    ]);
    expect(idFor('/var/run/netns/tool1')).toMatch(/^cnitool-[0-9a-f]{20}$/);

    // Without NETCONFPATH the tool looks in /etc/cni/net.d.
    const fallback = await cnitool(env, ['add', 'spec-no-such-network-x', '/var/run/netns/tool5'], { NETCONFPATH: '' });
    expect(fallback.code).toBe(1);
    expect(fallback.stderr).toContain('/etc/cni/net.d');
  });

  it.each([
    ['a CNI_ARGS pair without =', { CNI_ARGS: 'novalue' }],
    ['a CNI_ARGS pair with an empty key', { CNI_ARGS: '=v' }],
    ['a CNI_ARGS pair with an empty value', { CNI_ARGS: 'K=' }],
    ['a CNI_ARGS pair with two =', { CNI_ARGS: 'K=a=b' }],
    ['CAP_ARGS that is not JSON', { CAP_ARGS: '{"portMappings":' }],
    ['a missing network', { NETCONFPATH: '/nonexistent/spec/dir' }],
  ])('C78: %s makes cnitool exit 1 with the error on stderr before any plugin runs', async (_, extra) => {
    const env = await world();
    const run = await cnitool(env, ['add', 'toolnet', '/var/run/netns/bad'], extra);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).not.toBe('');
    expect(await env.invocations()).toEqual([]);
  });

  it('C78: a failing plugin makes cnitool exit 1 with its error on stderr', async () => {
    const env = await world();
    await env.answer('p', 'ADD', { stdout: '{"code":7,"msg":"cannot do it"}', exitCode: 1 });
    const run = await cnitool(env, ['add', 'toolnet', '/var/run/netns/bad']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot do it');
  });

  it('C79: cnitool gc passes no valid attachments, so every cached attachment of that network is deleted', async () => {
    const env = await world();
    await env.writeConfig('20-other.conflist', { cniVersion: '1.0.0', name: 'other', plugins: [{ type: 'p' }] });
    for (const ns of ['g1', 'g2']) expect((await cnitool(env, ['add', 'toolnet', `/var/run/netns/${ns}`])).code).toBe(0);
    expect((await cnitool(env, ['add', 'other', '/var/run/netns/g3'])).code).toBe(0);
    const gc = await cnitool(env, ['gc', 'toolnet', '/var/run/netns/unused']);
    expect(gc.code).toBe(0);
    const dels = (await env.invocations()).filter((run) => run.command === 'DEL');
    expect(calls(dels)).toEqual(['DEL p', 'DEL p']);
    expect(dels.map((run) => run.env['CNI_CONTAINERID']).sort()).toEqual([idFor('/var/run/netns/g1'), idFor('/var/run/netns/g2')].sort());
    expect(await readdir(path.join(env.cacheDir, 'results'))).toEqual([`other-${idFor('/var/run/netns/g3')}-eth0`]);
  });
});
