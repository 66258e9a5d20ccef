import { ResultError } from '../errors.js';
import type { Dns, Interface, Result, Result020, Result040, Result100, Route } from './schemas.js';

// Conversion goes through one neutral shape (the 1.1.0 one). Fields a target version does not
// define are dropped on the way down; a result that stays in its own version is returned as is.

const LEGACY = new Set(['0.1.0', '0.2.0']);
const V04 = new Set(['0.3.0', '0.3.1', '0.4.0']);
const V1 = new Set(['1.0.0', '1.1.0']);

interface Neutral {
  interfaces: Interface[];
  ips: { address: string; gateway?: string | undefined; interface?: number | undefined }[];
  routes: Route[];
  dns: Dns | undefined;
}

function family(address: string): '4' | '6' {
  return address.includes(':') ? '6' : '4';
}

function pick<T extends object, K extends keyof T>(object: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) if (object[key] !== undefined) out[key] = object[key];
  return out;
}

function toNeutral(result: Result): Neutral {
  if (LEGACY.has(result.cniVersion)) {
    const legacy = result as Result020;
    const neutral: Neutral = { interfaces: [], ips: [], routes: [], dns: legacy.dns };
    for (const block of [legacy.ip4, legacy.ip6]) {
      if (!block) continue;
      neutral.ips.push(pick({ address: block.ip, gateway: block.gateway }, ['address', 'gateway']));
      neutral.routes.push(...(block.routes ?? []));
    }
    return neutral;
  }
  const modern = result as Result040 | Result100;
  return {
    interfaces: modern.interfaces ?? [],
    ips: (modern.ips ?? []).map((entry) => pick(entry, ['address', 'gateway', 'interface'])),
    routes: modern.routes ?? [],
    dns: modern.dns,
  };
}

const ROUTE_FIELDS_10 = ['dst', 'gw'] as const;
const ROUTE_FIELDS_11 = ['dst', 'gw', 'mtu', 'advmss', 'priority', 'table', 'scope'] as const;
const INTERFACE_FIELDS_10 = ['name', 'mac', 'sandbox'] as const;
const INTERFACE_FIELDS_11 = ['name', 'mac', 'sandbox', 'mtu', 'socketPath', 'pciID'] as const;

function fromNeutral(neutral: Neutral, version: string): Result {
  const newest = version === '1.1.0';
  const routes = neutral.routes.map((route) => pick(route, newest ? ROUTE_FIELDS_11 : ROUTE_FIELDS_10));
  const dns = neutral.dns === undefined ? {} : { dns: neutral.dns };
  if (LEGACY.has(version)) {
    const out: Result020 = { cniVersion: version as Result020['cniVersion'] };
    for (const fam of ['4', '6'] as const) {
      const first = neutral.ips.find((entry) => family(entry.address) === fam);
      if (!first) continue;
      const familyRoutes = routes.filter((route) => family(route.dst) === fam);
      const block = { ip: first.address, ...pick(first, ['gateway']), ...(familyRoutes.length ? { routes: familyRoutes } : {}) };
      out[fam === '4' ? 'ip4' : 'ip6'] = block;
    }
    return { ...out, ...dns };
  }
  const interfaces = neutral.interfaces.map((entry) => pick(entry, newest ? INTERFACE_FIELDS_11 : INTERFACE_FIELDS_10));
  const ips = neutral.ips.map((entry) =>
    V04.has(version) ? { version: family(entry.address), ...entry } : { ...entry },
  );
  const out = { cniVersion: version } as Result040 | Result100;
  if (interfaces.length) out.interfaces = interfaces;
  if (ips.length) (out as Result100).ips = ips;
  if (routes.length) out.routes = routes;
  return { ...out, ...dns };
}

/** True when a result of this version can be converted to and from. */
export function isKnownResultVersion(version: string): boolean {
  return LEGACY.has(version) || V04.has(version) || V1.has(version);
}

/**
 * Converts a result to another spec version. Going down drops what the older version cannot hold
 * (extra addresses of a family in 0.1.0/0.2.0, 1.1.0 fields, interfaces). A result without any
 * address converts to 0.1.0/0.2.0 as one without `ip4`/`ip6` rather than failing.
 *
 * @throws {ResultError} `ERR_CNI_RESULT` when either version is unknown.
 */
export function convertResult(result: Result, version: string): Result {
  if (!isKnownResultVersion(version)) {
    throw new ResultError(`no converter for CNI result version ${result.cniVersion} to ${version}`);
  }
  if (!isKnownResultVersion(result.cniVersion)) {
    throw new ResultError(`unsupported CNI result version "${result.cniVersion}"`);
  }
  if (result.cniVersion === version) return result;
  return fromNeutral(toNeutral(result), version);
}
