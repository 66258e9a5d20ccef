import diagnostics from 'node:diagnostics_channel';
import { CHANNEL_NAMES, type ChannelName } from '../diagnostics.js';
import { errorToJson, oneLine } from './errors.js';
import { definedOnly, type Output } from './output.js';

type Message = Record<string, unknown>;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function ms(value: unknown): number | undefined {
  return typeof value === 'number' ? Math.round(value * 10) / 10 : undefined;
}

// `ADD bridge (mynet)`: the command, the plugin type and the network of a plugin run.
function run(message: Message): string {
  const network = text(message['network']);
  return `${text(message['command']) ?? '?'} ${text(message['plugin']) ?? '?'}${network ? ` (${network})` : ''}`;
}

function human(name: ChannelName, message: Message): string {
  switch (name) {
    case 'cni:plugin:start':
      return `cnitool: ${run(message)}: started ${text(message['file']) ?? ''}`.trimEnd();
    case 'cni:plugin:finish':
      return `cnitool: ${run(message)}: done in ${ms(message['durationMs'])} ms`;
    case 'cni:plugin:error':
      return `cnitool: ${run(message)}: failed in ${ms(message['durationMs'])} ms: ${oneLine(message['error'])}`;
    case 'cni:config:load':
      return `cnitool: loaded network ${text(message['name'])} from ${text(message['file'])}`;
    case 'cni:cache:write':
      return `cnitool: cached result in ${text(message['file'])}`;
    case 'cni:cache:remove':
      return `cnitool: removed cache file ${text(message['file'])}`;
    default:
      // A channel added to the library later: its name and message, as the JSON form shows it.
      return `cnitool: ${JSON.stringify(json(name, message))}`;
  }
}

// The event as a JSON line: plugin stdin and stdout are left out (results are on stdout anyway).
function json(name: ChannelName, message: Message): Record<string, unknown> {
  const { stdin: _stdin, stdout: _stdout, error, durationMs, ...rest } = message;
  return definedOnly({
    event: name.slice('cni:'.length),
    ...rest,
    durationMs: ms(durationMs),
    error: error === undefined ? undefined : errorToJson(error),
  });
}

/**
 * Prints each plugin run (with its duration), config load and cache change to stderr, from the
 * library's diagnostics channels. Returns the function that stops it.
 */
export function subscribeVerbose(output: Output): () => void {
  const handlers = CHANNEL_NAMES.map((name) => {
    const handler = (message: unknown) => output.note(human(name, message as Message), json(name, message as Message));
    diagnostics.subscribe(name, handler);
    return () => diagnostics.unsubscribe(name, handler);
  });
  return () => handlers.forEach((unsubscribe) => unsubscribe());
}
