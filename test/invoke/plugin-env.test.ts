import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildPluginEnv } from '../../src/index.js';

const SAVED = ['CNI_COMMAND', 'CNI_NETNS', 'LIBCNI_TEST_PARENT', 'LIBCNI_TEST_OTHER'] as const;
let saved: Record<string, string | undefined>;

beforeEach(() => {
  saved = Object.fromEntries(SAVED.map((name) => [name, process.env[name]]));
  process.env['CNI_COMMAND'] = 'XYZ';
  process.env['CNI_NETNS'] = '/stale';
  process.env['LIBCNI_TEST_PARENT'] = 'from-parent';
  process.env['LIBCNI_TEST_OTHER'] = 'other';
});

afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const cniOnly = (env: Record<string, string>) => Object.entries(env).filter(([key]) => key.startsWith('CNI_'));

describe('buildPluginEnv', () => {
  it('sets all six CNI_* variables, in a stable order after the inherited ones', () => {
    const env = buildPluginEnv({
      command: 'ADD',
      containerId: 'ctr1',
      netns: '/run/netns/ns1',
      ifName: 'eth0',
      args: 'A=1;B=2',
      path: '/opt/cni/bin:/usr/lib/cni',
    });
    expect(cniOnly(env)).toEqual([
      ['CNI_COMMAND', 'ADD'],
      ['CNI_CONTAINERID', 'ctr1'],
      ['CNI_NETNS', '/run/netns/ns1'],
      ['CNI_IFNAME', 'eth0'],
      ['CNI_ARGS', 'A=1;B=2'],
      ['CNI_PATH', '/opt/cni/bin:/usr/lib/cni'],
    ]);
    expect(Object.keys(env).slice(-6)).toEqual(['CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_ARGS', 'CNI_PATH']);
  });

  it('sets the variables that do not apply to empty strings and overrides inherited CNI_*', () => {
    const env = buildPluginEnv({ command: 'DEL' });
    expect(Object.fromEntries(cniOnly(env))).toEqual({
      CNI_COMMAND: 'DEL',
      CNI_CONTAINERID: '',
      CNI_NETNS: '',
      CNI_IFNAME: '',
      CNI_ARGS: '',
      CNI_PATH: '',
    });
  });

  it('inherits the whole parent environment by default', () => {
    const env = buildPluginEnv({ command: 'ADD' });
    expect(env['LIBCNI_TEST_PARENT']).toBe('from-parent');
    expect(env['PATH']).toBe(process.env['PATH']);
  });

  it('passes only the listed parent variables with an allow-list, and none with false', () => {
    const listed = buildPluginEnv({ command: 'ADD' }, { inheritEnv: ['LIBCNI_TEST_PARENT', 'CNI_COMMAND', 'NOT_SET_ANYWHERE'] });
    expect(Object.keys(listed).filter((key) => !key.startsWith('CNI_'))).toEqual(['LIBCNI_TEST_PARENT']);
    expect(listed['CNI_COMMAND']).toBe('ADD');
    const none = buildPluginEnv({ command: 'ADD' }, { inheritEnv: false });
    expect(Object.keys(none)).toEqual(['CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_ARGS', 'CNI_PATH']);
  });

  it('adds extraEnv over the parent but under CNI_*', () => {
    const env = buildPluginEnv(
      { command: 'CHECK', ifName: 'eth1' },
      { extraEnv: { LIBCNI_TEST_OTHER: 'extra', CNI_IFNAME: 'wrong', EXTRA: 'x' } },
    );
    expect(env['LIBCNI_TEST_OTHER']).toBe('extra');
    expect(env['EXTRA']).toBe('x');
    expect(env['CNI_IFNAME']).toBe('eth1');
  });
});
