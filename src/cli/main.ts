import { createHash } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseCniArgs } from '../args.js';
import { CNI, type RuntimeConf } from '../cni.js';
import { loadNetworkList } from '../config/load.js';
import { CHANNEL_NAMES } from '../diagnostics.js';
import { InvalidArgumentError, MultipleErrors } from '../errors.js';
import { HELP } from './help.js';

/** `cnitool-` and the first 20 hex digits of the SHA-512 of the absolute netns path, as the Go tool does. */
export function containerIdForNetns(netns: string): string {
  return `cnitool-${createHash('sha512').update(path.resolve(netns)).digest('hex').slice(0, 20)}`;
}

function parseCapabilityArgs(text: string | undefined): Record<string, unknown> | undefined {
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

function positiveInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new InvalidArgumentError(`Expected ${name} to be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

function print(value: unknown): void {
  const text = JSON.stringify(value, null, 4);
  process.stdout.write(process.stdout.isTTY ? `${text}\n` : text);
}

function subscribeVerbose(): void {
  for (const name of CHANNEL_NAMES) {
    diagnostics.subscribe(name, (message) => {
      const { stdin: _stdin, stdout: _stdout, ...rest } = message as Record<string, unknown>;
      const error = rest['error'] as Error | undefined;
      process.stderr.write(`${name} ${JSON.stringify({ ...rest, error: error?.message })}\n`);
    });
  }
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      ifname: { type: 'string', short: 'i' },
      'cache-dir': { type: 'string' },
      'container-id': { type: 'string' },
      timeout: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
    },
  });
  const [command, network, netnsArg] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return values.help || command === 'help' ? 0 : 1;
  }
  if (values.verbose) subscribeVerbose();

  const timeout = positiveInteger('--timeout', values.timeout);
  const cni = new CNI({
    path: env['CNI_PATH'] ?? '',
    cacheDir: values['cache-dir'] ?? env['CNI_CACHE_DIR'] ?? undefined,
    ...(timeout === undefined ? {} : { pluginTimeout: timeout }),
    onStderr: (stderr) => process.stderr.write(stderr),
  });

  if (command === 'version') {
    if (network === undefined) throw new InvalidArgumentError('usage: cnitool version <plugin-type>');
    print(await cni.getVersionInfo(network));
    return 0;
  }
  if (command === 'status' || command === 'gc') {
    if (network === undefined) throw new InvalidArgumentError(`usage: cnitool ${command} <network>`);
    const list = await loadNetworkList(env['NETCONFPATH'] || '/etc/cni/net.d', network);
    if (command === 'status') {
      await cni.getStatusNetworkList(list);
      return 0;
    }
    // As the Go tool does: every cached attachment of the network is stale, then GC goes to the
    // plugins without a list of valid attachments.
    const errors: Error[] = [];
    for (const cached of await cni.getCachedAttachments()) {
      if (cached.networkName !== list.name) continue;
      const rt = { containerId: cached.containerId, ifName: cached.ifName, netns: cached.netns };
      await cni.delNetworkList(list, rt).catch((error: Error) => errors.push(error));
    }
    await cni.gcNetworkList(list).catch((error: Error) => errors.push(error));
    if (errors.length > 0) throw errors.length === 1 ? errors[0] : new MultipleErrors(`gc of network "${list.name}" failed`, errors);
    return 0;
  }
  if (!['add', 'check', 'del'].includes(command)) {
    throw new InvalidArgumentError(`unknown command ${JSON.stringify(command)}; see cnitool --help`);
  }
  if (network === undefined || netnsArg === undefined) {
    throw new InvalidArgumentError(`usage: cnitool ${command} <network> <netns-path>`);
  }

  const netns = path.resolve(netnsArg);
  const list = await loadNetworkList(env['NETCONFPATH'] || '/etc/cni/net.d', network);
  const rt: RuntimeConf = {
    containerId: values['container-id'] ?? containerIdForNetns(netns),
    netns,
    ifName: values.ifname || env['CNI_IFNAME'] || 'eth0',
    args: parseCniArgs(env['CNI_ARGS'] ?? ''),
    capabilityArgs: parseCapabilityArgs(env['CAP_ARGS']),
  };
  if (command === 'add') print(await cni.addNetworkList(list, rt));
  else if (command === 'check') await cni.checkNetworkList(list, rt);
  else await cni.delNetworkList(list, rt);
  return 0;
}

/** One line for stderr: the message with its line breaks folded. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
