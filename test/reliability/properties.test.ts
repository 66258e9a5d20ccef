// Property-based tests: the parsers never throw anything but our typed errors, whatever they are
// given, and conversions keep what the spec lets them keep.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALL_VERSIONS,
  convertResult,
  decodeCacheEntry,
  encodeCacheEntry,
  formatCniArgs,
  isCniError,
  normalizeCniArgs,
  parseCniArgs,
  parseConf,
  parseConfList,
  parseResult,
  type CacheEntry,
  type CniArgs,
  type Result,
} from '../../src/index.js';

const RUNS = { numRuns: 200 };
const MODERN = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
const LEGACY = ['0.1.0', '0.2.0'] as const;

/** Runs `fn`; any error must be one of ours. */
function onlyTyped(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (error) {
    if (isCniError(error)) return true;
    throw error;
  }
}

const json = fc.jsonValue({ maxDepth: 3 });
const name = fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,12}$/);
const extraKeys = fc.dictionary(fc.stringMatching(/^x-[a-z]{1,6}$/), json, { maxKeys: 3 });

// ---------------------------------------------------------------------------------------------
// Configs

/** Objects shaped roughly like configs, with every field sometimes of the wrong type. */
const configLike = fc.record(
  {
    cniVersion: fc.oneof(fc.constantFrom(...ALL_VERSIONS, '', '1.0', '2.0.0', 'x'), json),
    name: fc.oneof(name, json),
    type: fc.oneof(name, fc.constantFrom('..', 'a/b', 'a\0b', ''), json),
    disableCheck: fc.oneof(fc.boolean(), fc.constantFrom('true', 'FALSE', 'yes'), json),
    cniVersions: fc.oneof(fc.array(fc.constantFrom(...ALL_VERSIONS, 'x')), json),
    plugins: fc.oneof(
      fc.array(fc.record({ type: fc.oneof(name, json), capabilities: fc.oneof(fc.dictionary(name, fc.boolean()), json), ipam: json }, { requiredKeys: [] }), { maxLength: 3 }),
      json,
    ),
  },
  { requiredKeys: [] },
);

const plugin = fc
  .tuple(name, fc.option(fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.boolean(), { maxKeys: 2 }), { nil: undefined }), extraKeys)
  .map(([type, capabilities, extra]) => ({ type, ...(capabilities ? { capabilities } : {}), ...extra }));

const validList = fc.record({
  cniVersion: fc.constantFrom(...ALL_VERSIONS),
  name,
  plugins: fc.array(plugin, { minLength: 1, maxLength: 4 }),
});

describe('parseConfList and parseConf', () => {
  it('throw only typed errors, for any text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => onlyTyped(() => parseConfList(text)) && onlyTyped(() => parseConf(text))),
      RUNS,
    );
  });

  it('throw only typed errors, for any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => onlyTyped(() => parseConfList(bytes)) && onlyTyped(() => parseConf(bytes))), RUNS);
  });

  it('throw only typed errors, for any JSON and for config-shaped objects with wrong types', () => {
    fc.assert(
      fc.property(fc.oneof(json, configLike), fc.constantFrom(undefined, 2, '\t'), (value, indent) => {
        const text = JSON.stringify(value, null, indent) ?? 'null';
        return onlyTyped(() => parseConfList(text)) && onlyTyped(() => parseConf(text));
      }),
      RUNS,
    );
  });

  it('read valid lists whatever the layout, keeping each plugin object as written', () => {
    fc.assert(
      fc.property(validList, fc.constantFrom(undefined, 2, '\t'), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        const list = parseConfList(text);
        expect(list.name).toBe(value.name);
        expect(list.cniVersion).toBe(value.cniVersion);
        expect(Buffer.from(list.bytes).toString()).toBe(text);
        expect(list.plugins.map((entry) => JSON.parse(entry.bytes) as unknown)).toEqual(JSON.parse(JSON.stringify(value.plugins)));
        expect(list.plugins.map((entry) => entry.capabilities)).toEqual(
          value.plugins.map((entry) => Object.entries(entry.capabilities ?? {}).filter(([, on]) => on).map(([key]) => key)),
        );
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Results

const prefix4 = fc.integer({ min: 0, max: 32 });
const prefix6 = fc.integer({ min: 0, max: 128 });
const cidr4 = fc.tuple(fc.ipV4(), prefix4).map(([ip, bits]) => `${ip}/${bits}`);
const cidr6 = fc.tuple(fc.ipV6(), prefix6).map(([ip, bits]) => `${ip}/${bits}`);
const cidr = fc.oneof(cidr4, cidr6);
const dns = fc.record(
  { nameservers: fc.array(fc.ipV4(), { maxLength: 2 }), domain: name, search: fc.array(name, { maxLength: 2 }), options: fc.array(name, { maxLength: 2 }) },
  { requiredKeys: [] },
);
const route = fc.record({ dst: cidr, gw: fc.ipV4() }, { requiredKeys: ['dst'] });
const iface = fc.record({ name, mac: fc.constantFrom('0a:58:0a:00:00:02', 'aa:bb:cc:dd:ee:ff'), sandbox: fc.constantFrom('/var/run/netns/a', '') }, { requiredKeys: ['name'] });

/** A result of a 0.3.0 to 1.1.0 version, with only the fields all of them share. */
function modernResult(version: (typeof MODERN)[number]) {
  const ip = fc
    .record({ address: cidr, gateway: fc.ipV4(), interface: fc.nat(3) }, { requiredKeys: ['address'] })
    .map((entry) => (version.startsWith('0.') ? { version: entry.address.includes(':') ? '6' : '4', ...entry } : entry));
  return fc
    .record(
      {
        interfaces: fc.array(iface, { minLength: 1, maxLength: 3 }),
        ips: fc.array(ip, { minLength: 1, maxLength: 3 }),
        routes: fc.array(route, { minLength: 1, maxLength: 3 }),
        dns,
      },
      { requiredKeys: [] },
    )
    .map((fields) => ({ cniVersion: version, ...fields }) as Result);
}

/** A 0.1.0 / 0.2.0 result: ip4 and ip6 blocks with routes of their own family. */
function legacyResult(version: (typeof LEGACY)[number]) {
  const block = (address: fc.Arbitrary<string>, dst: fc.Arbitrary<string>, gateway: fc.Arbitrary<string>) =>
    fc.record({ ip: address, gateway, routes: fc.array(fc.record({ dst, gw: gateway }, { requiredKeys: ['dst'] }), { minLength: 1, maxLength: 2 }) }, { requiredKeys: ['ip'] });
  return fc
    .record({ ip4: block(cidr4, cidr4, fc.ipV4()), ip6: block(cidr6, cidr6, fc.ipV6()), dns }, { requiredKeys: [] })
    .map((fields) => ({ cniVersion: version, ...fields }) as Result);
}

const anyResult = fc.oneof(...MODERN.map(modernResult), ...LEGACY.map(legacyResult));
const roundTrip = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

describe('parseResult and convertResult', () => {
  it('parseResult throws only typed errors, for any JSON and any default version', () => {
    fc.assert(
      fc.property(fc.oneof(json, configLike), fc.constantFrom(...ALL_VERSIONS, '', '9.9.9', 'x'), (value, version) =>
        onlyTyped(() => convertResult(parseResult(value, version), '1.0.0')),
      ),
      RUNS,
    );
  });

  it('converts any valid result to every version, and the output parses in that version', () => {
    fc.assert(
      fc.property(anyResult, fc.constantFrom(...ALL_VERSIONS), (result, target) => {
        const parsed = parseResult(roundTrip(result), '1.0.0');
        const converted = convertResult(parsed, target);
        expect(converted.cniVersion).toBe(target);
        expect(parseResult(roundTrip(converted), target)).toEqual(converted);
      }),
      RUNS,
    );
  });

  it('keeps everything between 0.3.0 and 1.1.0 (there and back)', () => {
    const pair = fc.tuple(fc.constantFrom(...MODERN), fc.constantFrom(...MODERN));
    fc.assert(
      fc.property(pair.chain(([from, to]) => fc.tuple(modernResult(from), fc.constant(to))), ([result, to]) => {
        const there = convertResult(parseResult(roundTrip(result), '1.0.0'), to);
        const back = convertResult(parseResult(roundTrip(there), to), result.cniVersion);
        expect(roundTrip(back)).toEqual(roundTrip(result));
      }),
      RUNS,
    );
  });

  it('keeps a 0.1.0 / 0.2.0 result through any newer version and back', () => {
    const pair = fc.tuple(fc.constantFrom(...LEGACY), fc.constantFrom(...MODERN));
    fc.assert(
      fc.property(pair.chain(([from, to]) => fc.tuple(legacyResult(from), fc.constant(to))), ([result, to]) => {
        const there = convertResult(parseResult(roundTrip(result), '0.2.0'), to);
        const back = convertResult(parseResult(roundTrip(there), to), result.cniVersion);
        expect(roundTrip(back)).toEqual(roundTrip(result));
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// CNI_ARGS

const argText = fc.string({ unit: fc.constantFrom('a', 'B', '1', '_', '-', ';', '=', '\0', ' ', 'é'), maxLength: 6 });
const cleanText = fc.string({ unit: fc.constantFrom('a', 'B', '1', '_', '-', '.', '/', 'é'), minLength: 1, maxLength: 6 });

describe('normalizeCniArgs, formatCniArgs and parseCniArgs', () => {
  it('normalizeCniArgs throws only typed errors, for pairs, objects and anything else', () => {
    const input = fc.oneof(fc.array(fc.tuple(argText, argText), { maxLength: 4 }), fc.dictionary(argText, argText, { maxKeys: 4 }), fc.anything());
    fc.assert(fc.property(input, (args) => onlyTyped(() => normalizeCniArgs(args as CniArgs))), RUNS);
  });

  it('what normalizeCniArgs accepts with non-empty values, parseCniArgs reads back unchanged', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(argText, argText), { maxLength: 4 }), (pairs) => {
        let normalized: [string, string][];
        try {
          normalized = normalizeCniArgs(pairs);
        } catch (error) {
          if (isCniError(error)) return true;
          throw error;
        }
        if (normalized.some(([, value]) => value === '')) return true;
        expect(parseCniArgs(formatCniArgs(normalized))).toEqual(normalized);
        return true;
      }),
      RUNS,
    );
  });

  it('clean pairs always survive normalise, format and parse', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(cleanText, cleanText), { maxLength: 4 }), (pairs) => {
        expect(parseCniArgs(formatCniArgs(normalizeCniArgs(pairs)))).toEqual(pairs);
      }),
      RUNS,
    );
  });

  it('parseCniArgs throws only typed errors, and what it reads formats back to the same text', () => {
    fc.assert(
      fc.property(argText, fc.string({ maxLength: 30 }), (short, long) => {
        for (const text of [short, long, `${short}=${short}`, `A=${short};B=1`]) {
          try {
            expect(formatCniArgs(parseCniArgs(text))).toBe(text);
          } catch (error) {
            if (!isCniError(error)) throw error;
          }
        }
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Cache entries

const cacheLike = fc.record(
  {
    kind: fc.oneof(fc.constant('cniCacheV1'), json),
    containerId: fc.oneof(name, json),
    ifName: fc.oneof(name, json),
    networkName: fc.oneof(name, json),
    config: fc.oneof(fc.base64String(), json),
    netns: fc.oneof(name, json),
    cniArgs: fc.oneof(fc.array(fc.tuple(name, name)), json),
    capabilityArgs: json,
    result: json,
  },
  { requiredKeys: [] },
);

const validEntry = fc
  .record({
    containerId: name,
    ifName: name,
    networkName: name,
    config: fc.uint8Array({ maxLength: 64 }),
    netns: fc.option(fc.constantFrom('/var/run/netns/a', '/proc/1/ns/net'), { nil: undefined }),
    cniArgs: fc.option(fc.array(fc.tuple(name, name), { minLength: 1, maxLength: 3 }), { nil: undefined }),
    capabilityArgs: fc.option(fc.dictionary(name, json, { minKeys: 1, maxKeys: 3 }), { nil: undefined }),
    result: fc.option(anyResult, { nil: undefined }),
  })
  .map((fields) => ({ kind: 'cniCacheV1', ...fields }) as CacheEntry);

describe('decodeCacheEntry', () => {
  it('never throws: any text is ok, legacy or corrupt', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), json.map((value) => JSON.stringify(value) ?? ''), cacheLike.map((value) => JSON.stringify(value))), (text) => {
        expect(['ok', 'legacy', 'corrupt']).toContain(decodeCacheEntry(text, '/cache/results/x').state);
      }),
      RUNS,
    );
  });

  it('reads back what encodeCacheEntry wrote', () => {
    fc.assert(
      fc.property(validEntry, (entry) => {
        const read = decodeCacheEntry(encodeCacheEntry(entry), '/cache/results/x');
        if (read.state !== 'ok') throw new Error(`decoded as ${read.state}`);
        expect(Buffer.from(read.entry.config)).toEqual(Buffer.from(entry.config));
        expect(roundTrip({ ...read.entry, config: undefined })).toEqual(roundTrip({ ...entry, config: undefined }));
      }),
      RUNS,
    );
  });
});
