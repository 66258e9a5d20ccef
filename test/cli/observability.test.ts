import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SCRIPT, cnitoolOnTerminal, conflist, makeWorld } from './support.js';

async function chainWorld() {
  const world = await makeWorld();
  await world.plugin('first');
  await world.plugin('second');
  await world.config('10-net.conflist', conflist('net', ['first', 'second']));
  return world;
}

describe('cnitool --verbose', () => {
  it('prints each plugin run with its duration', async () => {
    const world = await chainWorld();
    const run = await world.run(['add', 'net', '/run/netns/a', '-v']);
    expect(run.code).toBe(0);
    const bin = world.binDir;
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe(`cnitool: loaded network net from ${path.join(world.confDir, '10-net.conflist')}`);
    expect(lines[1]).toBe(`cnitool: ADD first (net): started ${bin}/first`);
    expect(lines[2]).toMatch(/^cnitool: ADD first \(net\): done in \d+(\.\d)? ms$/);
    expect(lines[3]).toBe(`cnitool: ADD second (net): started ${bin}/second`);
    expect(lines[4]).toMatch(/^cnitool: ADD second \(net\): done in \d+(\.\d)? ms$/);
    expect(lines[5]).toMatch(/^cnitool: cached result in .*\/results\/net-cnitool-[0-9a-f]{20}-eth0$/);
  });

  it('prints a failed run with its error', async () => {
    const world = await chainWorld();
    await world.answer('second', 'DEL', { out: { code: 11, msg: 'busy' }, code: 1 });
    const run = await world.run(['del', 'net', '/run/netns/a', '--verbose']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/\ncnitool: DEL second \(net\): failed in \d+(\.\d)? ms: plugin type="second" name="net" failed \(del\): busy\n/);
  });

  it('prints events, plugin stderr and the error as JSON lines with --json', async () => {
    const world = await chainWorld();
    await world.answer('first', 'ADD', { err: 'warming up\n' });
    await world.answer('second', 'ADD', { out: { code: 7, msg: 'no' }, code: 1 });
    const run = await world.run(['add', 'net', '/run/netns/a', '--json', '--verbose']);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    const lines = run.stderr.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line['event'] ?? Object.keys(line)[0])).toEqual([
      'config:load',
      'plugin:start',
      'stderr',
      'plugin:finish',
      'plugin:start',
      'plugin:error',
      'plugin:start', // the rollback DEL
      'plugin:finish',
      'plugin:start',
      'plugin:finish',
      'error',
    ]);
    expect(lines[2]).toEqual({ stderr: 'warming up\n', network: 'net', plugin: 'first', command: 'ADD' });
    expect(lines[3]).toMatchObject({ network: 'net', plugin: 'first', command: 'ADD', exitCode: 0, durationMs: expect.any(Number) });
    expect(lines[5]).toMatchObject({ plugin: 'second', error: { code: 'ERR_CNI_PLUGIN', cniCode: 7 } });
    expect(lines.at(-1)).toEqual({
      error: {
        code: 'ERR_CNI_PLUGIN',
        cniCode: 7,
        message: 'plugin type="second" name="net" failed (add): no (rolled back: DEL succeeded)',
        network: 'net',
        plugin: 'second',
        command: 'ADD',
      },
    });
  });

  it('passes plugin stderr through as it is without --json', async () => {
    const world = await chainWorld();
    await world.answer('first', 'DEL', { err: 'note from first\n' });
    expect(await world.run(['del', 'net', '/run/netns/a'])).toEqual({ code: 0, signal: null, stdout: '', stderr: 'note from first\n' });
  });
});

describe('NODE_DEBUG', () => {
  it.each([
    ['libcni', 'LIBCNI'],
    ['cni', 'CNI'],
  ])('NODE_DEBUG=%s prints every library event', async (section, prefix) => {
    const world = await chainWorld();
    const run = await world.run(['check', 'net', '/run/netns/a'], { env: { NODE_DEBUG: section } });
    expect(run.code).toBe(1); // nothing cached to check against
    expect(run.stderr).toMatch(new RegExp(`^${prefix} \\d+: cni:config:load \\{"file":"[^"]+","name":"net","plugins":2\\}\n`));
  });
});

describe('progress line', () => {
  it.runIf(SCRIPT)('shows gc progress on a terminal and clears it', async () => {
    const world = await chainWorld();
    expect((await world.run(['add', 'net', '/run/netns/a'])).code).toBe(0);
    const run = await cnitoolOnTerminal(['gc', 'net'], { env: world.env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('\r\u001b[2Kgc net: DEL 1/1 cnitool-');
    expect(run.stdout).toContain('\r\u001b[2Kgc net: GC');
    expect(run.stdout.endsWith('\r\u001b[2K')).toBe(true);
  });

  it('is not shown when stderr is not a terminal', async () => {
    const world = await chainWorld();
    expect((await world.run(['add', 'net', '/run/netns/a'])).code).toBe(0);
    expect(await world.run(['gc', 'net'])).toEqual({ code: 0, signal: null, stdout: '', stderr: '' });
  });
});

describe('interruption', () => {
  it('stops the running plugin on SIGINT and exits 130', async () => {
    const world = await chainWorld();
    await world.answer('second', 'ADD', { hang: true });
    const pidFile = path.join(world.fakeDir, 'second.pid');
    const run = await world.run(['add', 'net', '/run/netns/a'], {
      started: (child) => {
        void (async () => {
          for (let i = 0; i < 200 && !existsSync(pidFile); i++) await sleep(50);
          child.kill('SIGINT');
        })();
      },
    });
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/^cnitool: plugin type="second" name="net" failed \(add\): aborted .*\[ERR_CNI_ABORTED\]\n$/);
    const pid = Number(await readFile(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
