import { describe, expect, it } from 'vitest';
import { HELP, USAGE } from '../../src/cli/help.js';
import { cnitool, conflist, makeWorld } from './support.js';

describe('cnitool --help', () => {
  it('prints the help with examples and exit statuses on stdout, exit 0', async () => {
    for (const args of [['--help'], ['-h'], ['help'], ['add', '--help']]) {
      const run = await cnitool(args);
      expect(run).toEqual({ code: 0, signal: null, stdout: HELP, stderr: '' });
    }
    expect(HELP).toContain('Examples:');
    expect(HELP).toMatch(/Exit status:\n {2}0 {4}success\n {2}1 {4}the operation failed/);
  });

  it('prints the help on stderr with exit status 2 when no command is given', async () => {
    expect(await cnitool([])).toEqual({ code: 2, signal: null, stdout: '', stderr: HELP });
  });

  it('documents every command', () => {
    expect(Object.keys(USAGE)).toHaveLength(11);
    for (const name of Object.keys(USAGE)) expect(HELP).toContain(`cnitool ${name} `);
  });
});

describe('cnitool usage errors: one line on stderr, exit status 2', () => {
  it.concurrent.for([
    [['frobnicate'], 'cnitool: unknown command "frobnicate" (see cnitool --help)\n'],
    [['cache'], 'cnitool: unknown cache command ""; usage: cnitool cache ls [<container-id>] | cnitool cache show <network> <netns-path>  (or: cnitool cache show <network> --container-id ID) (see cnitool --help)\n'],
    [['add', 'net1'], 'cnitool: missing arguments; usage: cnitool add <network> <netns-path> (see cnitool --help)\n'],
    [['check'], 'cnitool: missing arguments; usage: cnitool check <network> <netns-path> (see cnitool --help)\n'],
    [['gc'], 'cnitool: missing arguments; usage: cnitool gc <network> [<netns-path>] (see cnitool --help)\n'],
    [['validate', 'a', 'b'], 'cnitool: too many arguments; usage: cnitool validate <network> (see cnitool --help)\n'],
    [['ls', 'x'], 'cnitool: too many arguments; usage: cnitool ls (see cnitool --help)\n'],
    [['version'], 'cnitool: missing arguments; usage: cnitool version <plugin-type> (see cnitool --help)\n'],
    [['--frob', 'ls'], "cnitool: Unknown option '--frob' (see cnitool --help)\n"],
    [['ls', '--timeout'], "cnitool: Option '--timeout <value>' argument missing (see cnitool --help)\n"],
    [['ls', '--timeout', 'soon'], 'cnitool: Expected --timeout to be a positive whole number of milliseconds, got "soon" (see cnitool --help)\n'],
    [['ls', '--timeout', '0'], 'cnitool: Expected --timeout to be a positive whole number of milliseconds, got "0" (see cnitool --help)\n'],
    [['ls', '--cache-dir='], 'cnitool: Expected --cache-dir to be a non-empty value, got "" (see cnitool --help)\n'],
  ] as const)('%j', async ([args, stderr], { expect }) => {
    expect(await cnitool(args)).toEqual({ code: 2, signal: null, stdout: '', stderr });
  });

  it('prints usage errors as JSON with --json, even when the options do not parse', async () => {
    expect(await cnitool(['--json', 'add'])).toEqual({
      code: 2,
      signal: null,
      stdout: '',
      stderr: `${JSON.stringify({ error: { code: 'ERR_CNITOOL_USAGE', cniCode: null, message: 'missing arguments; usage: cnitool add <network> <netns-path>' } })}\n`,
    });
    const run = await cnitool(['--json', '--frob']);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stderr)).toEqual({ error: { code: 'ERR_CNITOOL_USAGE', cniCode: null, message: "Unknown option '--frob'" } });
  });

  it('ignores extra arguments of the Go tool\'s commands, as the Go tool does', async () => {
    const world = await makeWorld();
    await world.plugin('only');
    await world.config('10-net1.conflist', conflist('net1', ['only']));
    const run = await world.run(['del', 'net1', '/run/netns/a', 'extra']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
  });
});
