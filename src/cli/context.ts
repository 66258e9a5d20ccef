import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseCniArgs } from '../args.js';
import { CNI, type CallOptions, type RuntimeConf } from '../cni.js';
import { InvalidArgumentError } from '../errors.js';
import { USAGE, type CommandName } from './help.js';
import { UsageError } from './errors.js';
import type { Options } from './options.js';
import type { Output } from './output.js';

/** What every command gets: its arguments, the options, the environment and where to print. */
export interface Cli {
  /** The arguments after the command's name. */
  args: string[];
  options: Options;
  env: NodeJS.ProcessEnv;
  output: Output;
  /** Passed to every library call: aborted on SIGINT or SIGTERM. */
  call: CallOptions;
}

/** The config directory: `NETCONFPATH`, or `/etc/cni/net.d` when it is unset or empty. */
export function confDir(cli: Cli): string {
  return cli.env['NETCONFPATH'] || '/etc/cni/net.d';
}

/** The library facade, configured from the environment and the options. */
export function createCni(cli: Cli): CNI {
  const { options, env, output } = cli;
  return new CNI({
    path: env['CNI_PATH'] ?? '',
    cacheDir: options.cacheDir ?? (env['CNI_CACHE_DIR'] || undefined),
    ...(options.timeout === undefined ? {} : { pluginTimeout: options.timeout }),
    onStderr: (stderr, where) => output.pluginStderr(stderr, where),
  });
}

/**
 * The positional arguments of `command`, checked against its usage: at least `required`, and at
 * most `allowed` (the Go tool's commands ignore extra arguments, so theirs is unlimited).
 */
export function expectArgs(cli: Cli, command: CommandName, required: number, allowed = Infinity): string[] {
  if (cli.args.length < required || cli.args.length > allowed) {
    const what = cli.args.length < required ? 'missing arguments' : 'too many arguments';
    throw new UsageError(`${what}; usage: ${USAGE[command]}`);
  }
  return cli.args;
}

/** `cnitool-` and the first 20 hex digits of the SHA-512 of the absolute netns path, as the Go tool does. */
export function containerIdForNetns(netns: string): string {
  return `cnitool-${createHash('sha512').update(path.resolve(netns)).digest('hex').slice(0, 20)}`;
}

/** The interface name: `-i`, else `CNI_IFNAME`, else `eth0` (an empty value counts as unset). */
export function ifName(cli: Cli): string {
  return cli.options.ifName || cli.env['CNI_IFNAME'] || 'eth0';
}

/**
 * The `CAP_ARGS` JSON object.
 *
 * @throws {InvalidArgumentError} when it is not JSON or not an object.
 */
export function parseCapabilityArgs(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined || text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`CAP_ARGS is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError('CAP_ARGS must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** The runtime config of ADD, CHECK and DEL for a namespace, as the Go tool builds it. */
export function runtimeConf(cli: Cli, netnsArg: string): RuntimeConf {
  const netns = path.resolve(netnsArg);
  return {
    containerId: cli.options.containerId ?? containerIdForNetns(netns),
    netns,
    ifName: ifName(cli),
    args: parseCniArgs(cli.env['CNI_ARGS'] ?? ''),
    capabilityArgs: parseCapabilityArgs(cli.env['CAP_ARGS']),
  };
}
