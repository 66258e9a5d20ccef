import { parseConfList, type NetworkConfigList, type Result } from '../../src/index.js';
import type { FakeEnv } from './fake-env.js';

/** The ADD result the recorder plugin named `type` gives in a chain built by `installChain`. */
export function resultOf(type: string, index: number, version = '1.0.0'): Result {
  const address = `10.88.0.${index + 10}/16`;
  if (version === '0.1.0' || version === '0.2.0') return { cniVersion: version, ip4: { ip: address } };
  const ip = version.startsWith('0.') ? { version: '4', address, interface: 0 } : { address, interface: 0 };
  return { cniVersion: version, interfaces: [{ name: `${type}0`, sandbox: '/run/netns/ns1' }], ips: [ip] } as Result;
}

/**
 * Installs one recorder plugin per type, each answering ADD with its own `resultOf`, and returns
 * a list of them in that order (plugin objects may add keys through `pluginExtra`).
 */
export async function installChain(
  env: FakeEnv,
  types: readonly string[],
  options: { version?: string; name?: string; listExtra?: Record<string, unknown>; pluginExtra?: Record<string, Record<string, unknown>> } = {},
): Promise<{ list: NetworkConfigList; text: string }> {
  const version = options.version ?? '1.0.0';
  for (const [index, type] of types.entries()) {
    await env.install(type);
    await env.answer(type, 'ADD', { stdout: JSON.stringify(resultOf(type, index, version)) });
  }
  const text = JSON.stringify({
    cniVersion: version,
    name: options.name ?? 'chainnet',
    ...options.listExtra,
    plugins: types.map((type) => ({ type, ...options.pluginExtra?.[type] })),
  });
  return { list: parseConfList(text), text };
}

/** The runtime config most tests attach with. */
export const RT = { containerId: 'ctr1', netns: '/run/netns/ns1', ifName: 'eth0' } as const;
