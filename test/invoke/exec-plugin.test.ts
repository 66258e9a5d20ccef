import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultExecutor, execaExecutor, spawnExecutor, type ExecRequest, type PluginExecutor } from '../../src/index.js';
import { FIXTURES, createFakeEnv } from '../helpers/fake-env.js';
import { isAlive, readPids, waitForExit, waitForFile } from '../helpers/processes.js';

function request(fixture: string, recordDir: string, extra: Partial<ExecRequest> = {}): ExecRequest {
  return {
    file: path.join(FIXTURES, fixture),
    stdin: '{"cniVersion":"1.0.0","name":"n","type":"t"}',
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', FAKE_DIR: recordDir, CNI_COMMAND: 'ADD' },
    timeout: 10_000,
    killGrace: 200,
    maxOutput: 1024 * 1024,
    ...extra,
  };
}

it('uses execa unless told otherwise', () => {
  expect(defaultExecutor).toBe(execaExecutor);
});

// Both executors keep the same contract; every behaviour is checked against each.
describe.each([
  ['execaExecutor', execaExecutor],
  ['spawnExecutor', spawnExecutor],
] as [string, PluginExecutor][])('%s.exec', (_name, executor) => {
  it('passes stdin and env exactly and returns stdout, stderr and the exit code', async () => {
    const env = await createFakeEnv();
    await env.install('rec');
    await env.answer('rec', 'ADD', { stdout: '{"ok":true}\n', stderr: 'log line\n', exitCode: 3 });
    const outcome = await executor.exec({
      ...request('recorder', env.recordDir),
      file: path.join(env.binDir, 'rec'),
      env: { FAKE_DIR: env.recordDir, CNI_COMMAND: 'ADD', ODD: 'a b\nc' },
    });
    expect(outcome).toMatchObject({
      exitCode: 3,
      signal: undefined,
      spawnError: undefined,
      stdout: '{"ok":true}\n',
      stderr: 'log line\n',
      timedOut: false,
      aborted: undefined,
      outputTooLarge: false,
    });
    const [run] = await env.invocations();
    expect(run!.stdin).toBe('{"cniVersion":"1.0.0","name":"n","type":"t"}');
    // Only what was passed: the parent environment is the caller's business (buildPluginEnv).
    expect(run!.env).toEqual({ FAKE_DIR: env.recordDir, CNI_COMMAND: 'ADD', ODD: 'a b\nc' });
  });

  it('reports the signal of a plugin killed by one', async () => {
    const env = await createFakeEnv();
    const outcome = await executor.exec(request('crash', env.recordDir));
    expect(outcome).toMatchObject({ exitCode: undefined, signal: 'SIGSEGV', stderr: 'crash: segfaulting now\n' });
  });

  it('reports a file that cannot be started as a spawn error', async () => {
    const env = await createFakeEnv();
    const outcome = await executor.exec({ ...request('recorder', env.recordDir), file: path.join(env.root, 'absent') });
    expect(outcome.spawnError).toBeInstanceOf(Error);
    expect((outcome.spawnError as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('kills a plugin that hangs, and its whole process group, at the timeout', async () => {
    const env = await createFakeEnv();
    const outcome = await executor.exec(request('forker', env.recordDir, { timeout: 1_000 }));
    expect(outcome).toMatchObject({ timedOut: true, aborted: undefined, exitCode: undefined, signal: 'SIGTERM' });
    const pids = await readPids(path.join(env.recordDir, 'forker.pids'));
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(await waitForExit(pid)).toBe(true);
  });

  it('kills with SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const env = await createFakeEnv();
    const outcome = await executor.exec(request('ignore-term', env.recordDir, { timeout: 1_000, killGrace: 300 }));
    expect(outcome).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
    const [pid] = await readPids(path.join(env.recordDir, 'hang.pid'));
    expect(await waitForExit(pid!)).toBe(true);
  });

  it('does not spawn anything for a signal that already fired', async () => {
    const env = await createFakeEnv();
    await env.install('rec');
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const outcome = await executor.exec({
      ...request('recorder', env.recordDir),
      file: path.join(env.binDir, 'rec'),
      signal: controller.signal,
    });
    expect(outcome.aborted).toEqual({ reason: controller.signal.reason });
    expect(await env.invocations()).toEqual([]);
  });

  it('kills the plugin group when the signal fires mid-run', async () => {
    const env = await createFakeEnv();
    const controller = new AbortController();
    const running = executor.exec(request('forker', env.recordDir, { signal: controller.signal }));
    await waitForFile(path.join(env.recordDir, 'forker.pids'));
    const pids = await readPids(path.join(env.recordDir, 'forker.pids'));
    for (const pid of pids) expect(await isAlive(pid)).toBe(true);
    controller.abort('caller gave up');
    const outcome = await running;
    expect(outcome).toMatchObject({ aborted: { reason: 'caller gave up' }, timedOut: false });
    for (const pid of pids) expect(await waitForExit(pid)).toBe(true);
  });

  it('survives a plugin that exits without reading a large stdin', async () => {
    const env = await createFakeEnv();
    const stdin = JSON.stringify({ cniVersion: '1.0.0', name: 'n', type: 't', pad: 'x'.repeat(4 * 1024 * 1024) });
    const outcome = await executor.exec(request('no-stdin', env.recordDir, { stdin }));
    expect(outcome).toMatchObject({
      exitCode: 0,
      stdout: '{"cniVersion":"1.0.0","ips":[{"address":"10.1.0.2/24"}]}\n',
      spawnError: undefined,
    });
  });

  it('kills a plugin that floods stdout past the cap', async () => {
    const env = await createFakeEnv();
    const outcome = await executor.exec(request('flood', env.recordDir, { maxOutput: 64 * 1024 }));
    expect(outcome.outputTooLarge).toBe(true);
    expect(outcome.stdout.length).toBeLessThanOrEqual(64 * 1024);
    const [pid] = await readPids(path.join(env.recordDir, 'flood.pid'));
    expect(await waitForExit(pid!)).toBe(true);
  });
});
