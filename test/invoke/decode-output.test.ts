import { describe, expect, it } from 'vitest';
import type { ExecOutcome } from '../../src/index.js';
import { decodeOutcome } from '../../src/invoke/decode-output.js';

const FILE = '/opt/cni/bin/bridge';
const WHERE = { network: 'net1', plugin: 'bridge', command: 'ADD', timeout: 5_000 };

function outcome(fields: Partial<ExecOutcome>): ExecOutcome {
  return {
    exitCode: 0,
    signal: undefined,
    spawnError: undefined,
    stdout: '',
    stderr: '',
    timedOut: false,
    aborted: undefined,
    outputTooLarge: false,
    durationMs: 1,
    ...fields,
  };
}

function decodeError(fields: Partial<ExecOutcome>, wantOutput = true): Record<string, unknown> {
  try {
    decodeOutcome(outcome(fields), WHERE, FILE, wantOutput);
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('decodeOutcome did not throw');
}

describe('decodeOutcome', () => {
  it('returns the parsed JSON of a successful ADD', () => {
    expect(decodeOutcome(outcome({ stdout: '\n {"cniVersion":"1.0.0"}\n' }), WHERE, FILE, true)).toEqual({ cniVersion: '1.0.0' });
  });

  it('returns null for a plugin that printed null', () => {
    expect(decodeOutcome(outcome({ stdout: 'null' }), WHERE, FILE, true)).toBeNull();
  });

  it('ignores the output of a successful DEL or CHECK, even when empty or not JSON', () => {
    expect(decodeOutcome(outcome({ stdout: '' }), { ...WHERE, command: 'DEL' }, FILE, false)).toBeUndefined();
    expect(decodeOutcome(outcome({ stdout: 'not json' }), { ...WHERE, command: 'CHECK' }, FILE, false)).toBeUndefined();
  });

  it('rejects a successful ADD that printed nothing', () => {
    expect(decodeError({ stdout: '  \n', stderr: 'warn\n' })).toMatchObject({
      code: 'ERR_CNI_PLUGIN_EXEC',
      exitCode: 0,
      stderr: 'warn\n',
      path: FILE,
      network: 'net1',
      plugin: 'bridge',
      command: 'ADD',
      message: 'plugin type="bridge" name="net1" failed (add): exited with code 0 but printed no result; stderr: warn',
    });
  });

  it('rejects a successful ADD that printed something that is not JSON', () => {
    expect(decodeError({ stdout: 'hello {' })).toMatchObject({
      code: 'ERR_CNI_PLUGIN_EXEC',
      stdout: 'hello {',
      message: 'plugin type="bridge" name="net1" failed (add): printed output that is not JSON: hello {',
    });
  });

  it('turns a pretty-printed error object into a PluginReportedError with the spec code', () => {
    const stdout = '{\n    "code": 7,\n    "msg": "invalid config",\n    "details": "bad bridge"\n}\n';
    expect(decodeError({ exitCode: 1, stdout, stderr: 'log\n' })).toMatchObject({
      name: 'PluginReportedError',
      code: 'ERR_CNI_PLUGIN',
      cniCode: 7,
      msg: 'invalid config',
      details: 'bad bridge',
      exitCode: 1,
      stderr: 'log\n',
      message: 'plugin type="bridge" name="net1" failed (add): invalid config; bad bridge',
    });
  });

  it('accepts an error object without cniVersion, msg or details', () => {
    expect(decodeError({ exitCode: 1, stdout: '{"code":11}' })).toMatchObject({
      code: 'ERR_CNI_PLUGIN',
      cniCode: 11,
      msg: '',
      details: undefined,
      message: 'plugin type="bridge" name="net1" failed (add): ',
    });
  });

  it('rejects JSON on a failed run that is not an error object, keeping the output', () => {
    expect(decodeError({ exitCode: 2, stdout: '{"cniVersion":"1.0.0","ips":[]}' })).toMatchObject({
      code: 'ERR_CNI_PLUGIN_EXEC',
      exitCode: 2,
      stdout: '{"cniVersion":"1.0.0","ips":[]}',
      message:
        'plugin type="bridge" name="net1" failed (add): exited with code 2 and printed JSON that is not a CNI error: {"cniVersion":"1.0.0","ips":[]}',
    });
  });

  it('rejects a failed run that printed garbage', () => {
    expect(decodeError({ exitCode: 1, stdout: 'panic: oops', stderr: 'goroutine 1\n' })).toMatchObject({
      code: 'ERR_CNI_PLUGIN_EXEC',
      exitCode: 1,
      message: 'plugin type="bridge" name="net1" failed (add): exited with code 1 and printed output that is not JSON: panic: oops; stderr: goroutine 1',
    });
  });

  it('rejects a failed run without output', () => {
    expect(decodeError({ exitCode: 3 })).toMatchObject({
      code: 'ERR_CNI_PLUGIN_EXEC',
      exitCode: 3,
      signal: undefined,
      stdout: '',
      stderr: '',
      message: 'plugin type="bridge" name="net1" failed (add): exited with code 3 without output',
    });
  });

  it('names the signal of a killed plugin', () => {
    expect(decodeError({ exitCode: undefined, signal: 'SIGSEGV', stderr: 'segfault\n' })).toMatchObject({
      code: 'ERR_CNI_PLUGIN_EXEC',
      exitCode: undefined,
      signal: 'SIGSEGV',
      message: 'plugin type="bridge" name="net1" failed (add): was killed by SIGSEGV without output; stderr: segfault',
    });
  });

  it('keeps the last 64 KiB of a long stderr and the last 512 characters in the message', () => {
    const stderr = `${'a'.repeat(100_000)}THE END`;
    const error = decodeError({ exitCode: 1, stderr });
    expect(error['stderr']).toBe(`…${stderr.slice(-64 * 1024)}`);
    expect(String(error['message']).endsWith(`; stderr: …${stderr.slice(-512)}`)).toBe(true);
  });

  it('reports a timeout with the timeout in ms', () => {
    expect(decodeError({ timedOut: true, exitCode: undefined, signal: 'SIGTERM' })).toMatchObject({
      name: 'TimeoutError',
      code: 'ERR_CNI_TIMEOUT',
      timeout: 5_000,
      message: 'plugin type="bridge" name="net1" failed (add): timed out after 5000 ms',
    });
  });

  it('reports an abort with the reason as cause', () => {
    const reason = new Error('shutting down');
    expect(decodeError({ aborted: { reason }, exitCode: undefined, signal: 'SIGTERM' })).toMatchObject({
      code: 'ERR_CNI_ABORTED',
      cause: reason,
      message: 'plugin type="bridge" name="net1" failed (add): aborted',
    });
  });

  it('reports output past the cap', () => {
    expect(decodeError({ outputTooLarge: true, exitCode: undefined, signal: 'SIGTERM' })).toMatchObject({
      code: 'ERR_CNI_PLUGIN_EXEC',
      signal: 'SIGTERM',
      message: 'plugin type="bridge" name="net1" failed (add): printed more output than allowed and was killed',
    });
  });

  it('reports a plugin that could not be started, with the spawn error as cause', () => {
    const spawnError = Object.assign(new Error('spawn EACCES'), { code: 'EACCES' });
    expect(decodeError({ spawnError, exitCode: undefined })).toMatchObject({
      code: 'ERR_CNI_PLUGIN_EXEC',
      cause: spawnError,
      message: 'plugin type="bridge" name="net1" failed (add): could not be started: spawn EACCES',
    });
  });
});
