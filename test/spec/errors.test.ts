// Conformance lines C56-C62 (docs/CONFORMANCE.md): turning plugin failures into errors.

import { open } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parseConfList } from '../../src/index.js';
import { waitForExit, waitForFile } from '../helpers/processes.js';
import { RT, createFakeEnv, rejectionOf, resultOf, shPlugin } from './support.js';

const oneList = (type: string) => parseConfList(JSON.stringify({ cniVersion: '1.0.0', name: 'errnet', plugins: [{ type }] }));

async function failing(answer: { stdout?: string; stderr?: string; exitCode: number }) {
  const env = await createFakeEnv();
  await env.install('p');
  await env.answer('p', 'ADD', answer);
  return rejectionOf<Error & Record<string, unknown>>(env.cni({ rollbackOnFailure: false }).addNetworkList(oneList('p'), RT));
}

describe('plugin errors', () => {
  it('C56: a non-zero exit with {"code":7,"msg":"m","details":"d"} is an error with code 7 and message "m; d"', async () => {
    const error = await failing({ stdout: '{"code":7,"msg":"m","details":"d"}', exitCode: 1 });
    expect(error).toMatchObject({ name: 'PluginReportedError', code: 'ERR_CNI_PLUGIN', cniCode: 7, msg: 'm', details: 'd', exitCode: 1 });
    expect(error.message).toMatch(/: m; d$/);
    const noDetails = await failing({ stdout: '{"cniVersion":"1.0.0","code":11,"msg":"later"}', exitCode: 2 });
    expect(noDetails).toMatchObject({ cniCode: 11, msg: 'later', details: undefined, exitCode: 2 });
    expect(noDetails.message).toMatch(/: later$/);
  });

  it('C57: a non-zero exit with only stderr "boom" gives an error carrying "boom"', async () => {
    const error = await failing({ stderr: 'boom', exitCode: 1 });
    expect(error).toMatchObject({ name: 'PluginExecError', code: 'ERR_CNI_PLUGIN_EXEC', exitCode: 1, stdout: '', stderr: 'boom', plugin: 'p' });
    expect(error.message).toBe('plugin type="p" name="errnet" failed (add): exited with code 1 without output; stderr: boom');
  });

  it('C58: a non-zero exit with no output at all says so', async () => {
    const error = await failing({ exitCode: 3 });
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN_EXEC', exitCode: 3, stdout: '', stderr: '' });
    expect(error.message).toBe('plugin type="p" name="errnet" failed (add): exited with code 3 without output');
  });

  it('C59: a non-zero exit with stdout that is not JSON says its diagnostic could not be parsed, keeping the text', async () => {
    const error = await failing({ stdout: 'panic: oh no', stderr: 'trace', exitCode: 2 });
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN_EXEC', exitCode: 2, stdout: 'panic: oh no', stderr: 'trace' });
    expect(error.message).toBe('plugin type="p" name="errnet" failed (add): exited with code 2 and printed output that is not JSON: panic: oh no; stderr: trace');
  });

  it('C60: the stderr of a successful plugin reaches the runtime stderr sink', async () => {
    const env = await createFakeEnv();
    await env.install('p');
    await env.answer('p', 'ADD', { stdout: JSON.stringify(resultOf('p', 0)), stderr: 'note: all fine\n' });
    await env.answer('p', 'DEL', { stderr: 'note: gone\n' });
    const seen: [string, Record<string, unknown>][] = [];
    const cni = env.cni({ onStderr: (stderr, where) => seen.push([stderr, { ...where }]) });
    await cni.addNetworkList(oneList('p'), RT);
    await cni.delNetworkList(oneList('p'), RT);
    expect(seen).toEqual([
      ['note: all fine\n', { network: 'errnet', plugin: 'p', command: 'ADD' }],
      ['note: gone\n', { network: 'errnet', plugin: 'p', command: 'DEL' }],
    ]);
  });

  it('C61: a timeout sends SIGTERM, then SIGKILL after the grace, and rejects with a timeout error', async () => {
    const env = await createFakeEnv();
    await env.install('stubborn', 'ignore-term');
    const started = Date.now();
    const error = await rejectionOf(env.cni({ pluginTimeout: 300, killGrace: 400, rollbackOnFailure: false }).addNetworkList(oneList('stubborn'), RT));
    const took = Date.now() - started;
    expect(error).toMatchObject({ name: 'TimeoutError', code: 'ERR_CNI_TIMEOUT', plugin: 'stubborn', timeout: 300 });
    // It ignores SIGTERM, so only the SIGKILL after the grace ends it.
    expect(took).toBeGreaterThanOrEqual(650);
    expect(took).toBeLessThan(5_000);
    const pid = Number(await waitForFile(path.join(env.recordDir, 'hang.pid')));
    expect(await waitForExit(pid)).toBe(true);

    const aborted = new AbortController();
    const call = env.cni({ killGrace: 200, rollbackOnFailure: false }).addNetworkList(oneList('stubborn'), { ...RT, containerId: 'c2' }, { signal: aborted.signal });
    await sleep(200);
    aborted.abort(new Error('caller gave up'));
    await expect(call).rejects.toMatchObject({ code: 'ERR_CNI_ABORTED' });
  });

  it('C62: a binary busy being written (ETXTBSY) is retried with a fresh process about once a second', async () => {
    const env = await createFakeEnv();
    const file = path.join(env.binDir, 'busy');
    await shPlugin(env.binDir, 'busy', `cat > /dev/null\necho run >> "$FAKE_DIR/busy.runs"\necho '${JSON.stringify(resultOf('busy', 0))}'`);
    const writer = await open(file, 'r+');
    const started = Date.now();
    const adding = env.cni().addNetworkList(oneList('busy'), RT);
    await sleep(1_500);
    await writer.close();
    expect(await adding).toEqual(resultOf('busy', 0));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect((await waitForFile(path.join(env.recordDir, 'busy.runs'))).trim().split('\n')).toEqual(['run']);
  });
});
