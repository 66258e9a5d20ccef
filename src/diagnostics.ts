import diagnostics from 'node:diagnostics_channel';
import { debuglog } from 'node:util';

/**
 * Diagnostics channels, named `cni:<area>:<event>`. Messages are published only while someone
 * subscribes, so they cost nothing otherwise. `NODE_DEBUG=cni` (or `NODE_DEBUG=libcni`) prints one
 * line per event.
 */
export const CHANNEL_NAMES = [
  'cni:plugin:start',
  'cni:plugin:finish',
  'cni:plugin:error',
  'cni:config:load',
  'cni:cache:write',
  'cni:cache:remove',
] as const;

export type ChannelName = (typeof CHANNEL_NAMES)[number];
type Short<T> = T extends `cni:${infer Rest}` ? Rest : never;

const channels = new Map(CHANNEL_NAMES.map((name) => [name, diagnostics.channel(name)]));

export function publish(name: Short<ChannelName>, message: Record<string, unknown>): void {
  const channel = channels.get(`cni:${name}` as ChannelName)!;
  if (channel.hasSubscribers) channel.publish(message);
}

/** True when at least one listener wants `name`; lets callers skip building a message. */
export function hasSubscribers(name: Short<ChannelName>): boolean {
  return channels.get(`cni:${name}` as ChannelName)!.hasSubscribers;
}

// `NODE_DEBUG=cni` or `NODE_DEBUG=libcni` (the package's name); lines carry the prefix of the one set.
const debug = [debuglog('cni'), debuglog('libcni')].find((log) => log.enabled);
let debugSubscribed = false;

/** Subscribes the `NODE_DEBUG=cni` (or `libcni`) printer once, if that variable asks for it. */
export function enableDebugLog(): void {
  if (debugSubscribed || debug === undefined) return;
  debugSubscribed = true;
  for (const name of CHANNEL_NAMES) {
    diagnostics.subscribe(name, (message) => debug('%s %j', name, message));
  }
}

enableDebugLog();
