import { isIP } from 'node:net';
import { z } from 'zod';

// Addresses are checked the way the Go library decodes them: a CIDR keeps its host bits.
function isCidr(value: string): boolean {
  const slash = value.lastIndexOf('/');
  if (slash < 0) return false;
  const family = isIP(value.slice(0, slash));
  const prefix = value.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

const cidr = z.string().refine(isCidr, { message: 'expected an address in CIDR notation' });
const ip = z.string().refine((value) => isIP(value) !== 0, { message: 'expected an IP address' });
const uint = z.number().int().nonnegative();

export const DnsSchema = z.looseObject({
  nameservers: z.array(z.string()).optional(),
  domain: z.string().optional(),
  search: z.array(z.string()).optional(),
  options: z.array(z.string()).optional(),
});

/** A route; the fields after `gw` are new in 1.1.0. */
export const RouteSchema = z.looseObject({
  dst: cidr,
  gw: ip.optional(),
  mtu: uint.optional(),
  advmss: uint.optional(),
  priority: uint.optional(),
  table: uint.optional(),
  scope: uint.optional(),
});

/** A 0.1.0 / 0.2.0 `ip4` or `ip6` block. */
export const IPConfig020Schema = z.looseObject({
  ip: cidr,
  gateway: ip.optional(),
  routes: z.array(RouteSchema).optional(),
});

export const Result020Schema = z.looseObject({
  cniVersion: z.enum(['0.1.0', '0.2.0']),
  ip4: IPConfig020Schema.optional(),
  ip6: IPConfig020Schema.optional(),
  dns: DnsSchema.optional(),
});

/** An interface; `mtu`, `socketPath` and `pciID` are new in 1.1.0. */
export const InterfaceSchema = z.looseObject({
  name: z.string(),
  mac: z.string().optional(),
  sandbox: z.string().optional(),
  mtu: uint.optional(),
  socketPath: z.string().optional(),
  pciID: z.string().optional(),
});

const ipConfigBase = {
  address: cidr,
  gateway: ip.optional(),
  interface: z.number().int().optional(),
};

export const IPConfig040Schema = z.looseObject({ version: z.enum(['4', '6']), ...ipConfigBase });
export const IPConfig100Schema = z.looseObject(ipConfigBase);

export const Result040Schema = z.looseObject({
  cniVersion: z.enum(['0.3.0', '0.3.1', '0.4.0']),
  interfaces: z.array(InterfaceSchema).optional(),
  ips: z.array(IPConfig040Schema).optional(),
  routes: z.array(RouteSchema).optional(),
  dns: DnsSchema.optional(),
});

export const Result100Schema = z.looseObject({
  cniVersion: z.enum(['1.0.0', '1.1.0']),
  interfaces: z.array(InterfaceSchema).optional(),
  ips: z.array(IPConfig100Schema).optional(),
  routes: z.array(RouteSchema).optional(),
  dns: DnsSchema.optional(),
});

/** Any result of any spec version, told apart by `cniVersion`. */
export const ResultSchema = z.union([Result020Schema, Result040Schema, Result100Schema]);

export type Dns = z.infer<typeof DnsSchema>;
export type Route = z.infer<typeof RouteSchema>;
export type Interface = z.infer<typeof InterfaceSchema>;
export type Result020 = z.infer<typeof Result020Schema>;
export type Result040 = z.infer<typeof Result040Schema>;
export type Result100 = z.infer<typeof Result100Schema>;
export type Result = Result020 | Result040 | Result100;

/** The CNI error object a plugin prints on failure. */
export const ErrorObjectSchema = z.looseObject({
  cniVersion: z.string().optional(),
  code: uint,
  msg: z.string().optional(),
  details: z.string().optional(),
});

/** A plugin's answer to VERSION. */
export const VersionInfoSchema = z.looseObject({
  cniVersion: z.string().min(1),
  supportedVersions: z.array(z.string()).optional(),
});

export type ErrorObject = z.infer<typeof ErrorObjectSchema>;
