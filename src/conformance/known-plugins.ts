// Built-in configs for plugins whose needs we know, sample values for well-known capabilities,
// and bugs of released plugins that the report names instead of calling them new failures.

/** The link the harness creates in its host namespace, for plugins that need a master device. */
export const MASTER_LINK = 'cnct0';
const SUBNET = '10.99.0.0/24';

type PluginObject = Record<string, unknown>;

export interface PluginSetup {
  /** Plugins run first (through the library) to give a chained plugin its interface and result. */
  base: PluginObject[];
  target: PluginObject;
  /** The interface name the attachments use. @default 'eth0' */
  ifName?: string;
}

const hostLocal = (): PluginObject => ({ type: 'host-local', ranges: [[{ subnet: SUBNET }]], routes: [{ dst: '0.0.0.0/0' }] });
const bridge = (): PluginObject => ({ type: 'bridge', bridge: 'cnct-br0', isGateway: true, ipam: hostLocal() });

const DEFAULTS: Record<string, () => PluginSetup> = {
  bridge: () => ({ base: [], target: bridge() }),
  'host-local': () => ({ base: [], target: { type: 'host-local', ipam: hostLocal() } }),
  static: () => ({ base: [], target: { type: 'static', ipam: { type: 'static', addresses: [{ address: '10.99.0.5/24' }] } } }),
  ptp: () => ({ base: [], target: { type: 'ptp', ipMasq: false, ipam: hostLocal() } }),
  macvlan: () => ({ base: [], target: { type: 'macvlan', master: MASTER_LINK, mode: 'bridge', ipam: hostLocal() } }),
  ipvlan: () => ({ base: [], target: { type: 'ipvlan', master: MASTER_LINK, ipam: hostLocal() } }),
  loopback: () => ({ base: [], target: { type: 'loopback' }, ifName: 'lo' }),
  tuning: () => ({ base: [bridge()], target: { type: 'tuning', capabilities: { mac: true }, sysctl: { 'net.core.somaxconn': '512' } } }),
  portmap: () => ({ base: [bridge()], target: { type: 'portmap', capabilities: { portMappings: true }, snat: true } }),
  firewall: () => ({ base: [bridge()], target: { type: 'firewall', backend: 'iptables' } }),
  bandwidth: () => ({ base: [bridge()], target: { type: 'bandwidth', capabilities: { bandwidth: true } } }),
};

/** The built-in setup for a plugin type; an unknown type gets a bare config. */
export function defaultSetup(pluginType: string): PluginSetup {
  return DEFAULTS[pluginType]?.() ?? { base: [], target: { type: pluginType } };
}

/** Sample runtime values for capabilities, as a runtime would pass them. */
export const CAPABILITY_SAMPLES: Readonly<Record<string, unknown>> = {
  portMappings: [{ hostPort: 18080, containerPort: 80, protocol: 'tcp' }],
  bandwidth: { ingressRate: 8_000_000, ingressBurst: 80_000, egressRate: 8_000_000, egressBurst: 80_000 },
  mac: '02:42:0a:63:00:2a',
  dns: { nameservers: ['10.99.0.53'], domain: 'conformance.test', search: ['conformance.test'] },
  aliases: ['conformance'],
  ipRanges: [[{ subnet: '10.99.1.0/24' }]],
};

export interface KnownIssue {
  plugin: string;
  command: 'ADD' | 'CHECK' | 'DEL';
  /** Matches what the plugin printed (the error's code and message, then its stderr). */
  pattern: RegExp;
  note: string;
}

export const KNOWN_ISSUES: readonly KnownIssue[] = [
  {
    plugin: 'portmap',
    command: 'CHECK',
    pattern: /could not check ipv6 dnat/,
    note: 'portmap CHECK looks for an IPv6 DNAT chain even for an IPv4-only result (containernetworking-plugins 1.1.1)',
  },
  {
    plugin: 'bandwidth',
    command: 'CHECK',
    pattern: /nil pointer dereference[\s\S]*main\.cmdCheck/,
    note: 'bandwidth CHECK crashes when runtimeConfig.bandwidth is absent (containernetworking-plugins 1.1.1)',
  },
];

export function knownIssue(plugin: string, command: KnownIssue['command'], message: string): KnownIssue | undefined {
  return KNOWN_ISSUES.find((issue) => issue.plugin === plugin && issue.command === command && issue.pattern.test(message));
}
