// Differential tests: the same ADD / CHECK / DEL through the Go reference library and through
// ours, with a fake plugin that records its CNI_* environment and stdin. Both must hand every
// plugin the same environment and, as parsed JSON, the same stdin. Where we differ on purpose
// (SPEC-CHECKLIST "B" lines) or where the packaged reference is older than the spec we speak,
// the difference is asserted explicitly.

import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ALL_VERSIONS, compareVersions, loadConfList } from '../../src/index.js';
import { DiffWorld, RECORD_PLUGIN, type Received, type Rt, type Run } from './harness.js';
import {
  buildGoReference,
  disposeGoReference,
  goReferenceProblem,
  referenceRequired,
  type GoReference,
} from './reference.js';

const BIG = '12345678901234567890';
const BIG_AS_GO_WRITES_IT = '12345678901234567000';
const HTML = '<a&b>';
const HTML_AS_GO_WRITES_IT = '\\u003ca\\u0026b\\u003e';

const NETWORK = 'diffnet';
const CAPABILITY_ARGS = {
  portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
  bandwidth: { ingressRate: 1000, ingressBurst: 2000 },
  ips: ['10.1.0.9/24'],
};
const CNI_ARGS: [string, string][] = [
  ['IgnoreUnknown', '1'],
  ['K8S_POD_NAMESPACE', 'default'],
  ['K8S_POD_NAME', 'web-0'],
];
const DNS = { nameservers: ['10.0.0.53'], domain: 'example.org', search: ['example.org'], options: ['ndots:2'] };

const missing = goReferenceProblem();

/** A plausible result of spec version `version`; `n` varies the addresses per plugin. */
function resultOf(version: string, n: number, options: { dns?: boolean } = {}): Record<string, unknown> {
  const address = `10.1.0.${n + 2}/24`;
  const dns = options.dns === false ? {} : { dns: DNS };
  if (version === '') return { ip4: { ip: address }, ...dns }; // an old plugin that names no version
  if (version === '0.1.0' || version === '0.2.0') {
    return { cniVersion: version, ip4: { ip: address, gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }] }, ...dns };
  }
  const ip = { address, gateway: '10.1.0.1', interface: 0 };
  return {
    cniVersion: version,
    interfaces: [{ name: `eth${n}`, mac: `02:00:00:00:00:0${n}`, sandbox: '/var/run/netns/diff' }],
    ips: [compareVersions(version, '1.0.0') < 0 ? { version: '4', ...ip } : ip],
    routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }],
    ...dns,
  };
}

/** The plugin objects of the table: capabilities on/off/absent, runtimeConfig in the file, unknown keys. */
const PLUGINS = [
  `{"type": "${RECORD_PLUGIN}", "tag": "p0", "capabilities": {"portMappings": true, "bandwidth": false},
    "runtimeConfig": {"replacedByCapabilities": true},
    "zeta": {"big": ${BIG}, "html": "${HTML}", "list": [1, 2.5, {"deep": [null, true, "x"]}]},
    "args": {"cni": {"labels": [{"key": "app", "value": "web"}]}}}`,
  `{"type": "${RECORD_PLUGIN}", "tag": "p1", "capabilities": {"mac": true},
    "runtimeConfig": {"keptBecauseNoCapabilityMatches": 1}, "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.1.0.0/24"}]]}}`,
  `{"type": "${RECORD_PLUGIN}", "tag": "p2", "alpha": {"nested": {"b": 2, "a": 1}}, "mtu": 1400}`,
];

interface Case {
  title: string;
  /** The list's cniVersion ("" = none written). */
  version: string;
  disableCheck?: boolean;
  fileName: string;
  text: string;
  /** The plugin objects, as written. */
  plugins: string[];
  rt: Rt;
}

function conflist(version: string, plugins: readonly string[], extra = ''): string {
  const head = version === '' ? '' : `"cniVersion": "${version}",\n  `;
  return `{\n  ${head}"name": "${NETWORK}",${extra}\n  "plugins": [\n    ${plugins.join(',\n    ')}\n  ]\n}\n`;
}

// A single-plugin .conf: the plugin object carries the list's name and version itself.
function singleConf(version: string): string {
  return `{"cniVersion": "${version}", "name": "${NETWORK}", "type": "${RECORD_PLUGIN}", "tag": "p0",
  "capabilities": {"bandwidth": true, "ips": false},
  "big": ${BIG}, "html": "${HTML}", "dns": {"nameservers": ["10.0.0.53"]}}\n`;
}

const rtFull: Rt = { containerId: 'ctr-diff.1', netns: '/var/run/netns/diff', ifName: 'eth0', args: CNI_ARGS, capabilityArgs: CAPABILITY_ARGS };
const rtBare: Rt = { containerId: 'ctr-diff.2', netns: '/var/run/netns/diff', ifName: 'net1' };

// Odd but valid plugin objects: name/cniVersion of their own (overwritten), a prevResult in the
// file, a null capability arg, escapes, float spellings, a duplicate key, empty containers.
const EDGE_PLUGINS = [
  `{"type": "${RECORD_PLUGIN}", "tag": "e0", "name": "not-the-list", "cniVersion": "0.1.0",
    "prevResult": {"cniVersion": "1.0.0", "ips": [{"address": "10.9.9.9/32"}]},
    "capabilities": {"portMappings": true, "ips": true},
    "s": "caf\\u00e9 \\u2028 \\"q\\" \\\\ \\/", "f": [1.0,1e3,-2.5e-3,0.1], "dup": 1, "dup": 2}`,
  `{"type": "${RECORD_PLUGIN}", "tag": "e1", "capabilities": {}, "empty": {}, "arr": []}`,
];
const rtEdge: Rt = {
  containerId: 'ctr-edge',
  netns: '/var/run/netns/edge',
  ifName: 'eth1',
  args: [['EMPTY', ''], ['K', 'v']],
  capabilityArgs: { portMappings: null, ips: [] },
};

const EDGE_CASES: Case[] = [
  {
    title: 'no cniVersion .conflist, chain of 2 (0.1.0 semantics)',
    version: '',
    fileName: '50-noversion.conflist',
    text: conflist('', PLUGINS.slice(1, 3)),
    plugins: PLUGINS.slice(1, 3),
    rt: rtBare,
  },
  {
    title: 'no cniVersion .conf',
    version: '',
    fileName: '60-noversion.conf',
    text: `{"name": "${NETWORK}", "type": "${RECORD_PLUGIN}", "tag": "p0"}`,
    plugins: [`{"name": "${NETWORK}", "type": "${RECORD_PLUGIN}", "tag": "p0"}`],
    rt: rtBare,
  },
  {
    title: '1.0.0 .conflist with disableCheck and odd plugin objects',
    version: '1.0.0',
    disableCheck: true,
    fileName: '70-edge.conflist',
    text: conflist('1.0.0', EDGE_PLUGINS, '\n  "disableCheck": true,'),
    plugins: EDGE_PLUGINS,
    rt: rtEdge,
  },
];

const CASES: Case[] = ALL_VERSIONS.flatMap((version): Case[] => [
  {
    title: `${version} .conflist, 1 plugin, capability args and CNI_ARGS`,
    version,
    fileName: '10-one.conflist',
    text: conflist(version, PLUGINS.slice(0, 1)),
    plugins: PLUGINS.slice(0, 1),
    rt: rtFull,
  },
  {
    title: `${version} .conflist, chain of 2, no capability args, no CNI_ARGS`,
    version,
    fileName: '20-two.conflist',
    text: conflist(version, PLUGINS.slice(1, 3)),
    plugins: PLUGINS.slice(1, 3),
    rt: rtBare,
  },
  {
    title: `${version} .conflist, chain of 3, capability args and CNI_ARGS`,
    version,
    fileName: '30-three.conflist',
    text: conflist(version, PLUGINS),
    plugins: PLUGINS,
    rt: rtFull,
  },
  {
    title: `${version} .conf, single plugin up-converted to a list`,
    version,
    fileName: '40-single.conf',
    text: singleConf(version),
    plugins: [singleConf(version)],
    rt: rtFull,
  },
]).concat(EDGE_CASES);

/** The keys of a JSON object text in the order written. */
function keysAsWritten(text: string): string[] {
  return Object.keys(JSON.parse(text) as object);
}

/**
 * The parts of one plugin's input that must match exactly: the CNI_* environment, and the stdin
 * as parsed JSON. Then the deliberate differences in the raw text: exact big integers and no
 * HTML escaping in ours, and ours keeps the file's key order where Go sorts keys.
 */
function expectSameInput(go: Received, ours: Received, pluginText: string, options: { ignorePrevResult?: boolean } = {}): void {
  expect(ours.env).toEqual(go.env);
  if (options.ignorePrevResult) {
    const { prevResult: _go, ...goRest } = go.json;
    const { prevResult: _ours, ...ourRest } = ours.json;
    expect(ourRest).toEqual(goRest);
  } else {
    expect(ours.json).toEqual(go.json);
  }

  if (pluginText.includes(BIG)) {
    expect(ours.stdin).toContain(BIG);
    expect(ours.stdin).not.toContain(BIG_AS_GO_WRITES_IT);
    expect(go.stdin).toContain(BIG_AS_GO_WRITES_IT);
    expect(go.stdin).not.toContain(BIG);
  }
  if (pluginText.includes(HTML)) {
    expect(ours.stdin).toContain(`"${HTML}"`);
    expect(go.stdin).toContain(`"${HTML_AS_GO_WRITES_IT}"`);
    expect(go.stdin).not.toContain(HTML);
  }
  if (pluginText.includes('1e3')) {
    // Number and string spellings are kept as written; Go re-encodes them.
    expect(ours.stdin).toContain('[1.0,1e3,-2.5e-3,0.1]');
    expect(go.stdin).toContain('[1,1000,-0.0025,0.1]');
    expect(ours.stdin).toContain('"caf\\u00e9 \\u2028 \\"q\\" \\\\ \\/"');
    expect(go.stdin).toContain('"café \\u2028 \\"q\\" \\\\ /"');
  }
  const goKeys = Object.keys(go.json);
  expect(goKeys).toEqual([...goKeys].sort());
  const written = keysAsWritten(pluginText);
  expect(Object.keys(ours.json).slice(0, written.length)).toEqual(written);
}

function expectOk(run: Run, what: string): void {
  expect(run.outcome, what).toMatchObject({ ok: true });
}

function expectFailed(run: Run, pattern: RegExp): void {
  expect(run.outcome.ok).toBe(false);
  if (!run.outcome.ok) expect(run.outcome.error).toMatch(pattern);
}

/** The capability args a plugin object declares `true`, picked from `capabilityArgs`. */
function runtimeConfigFor(pluginText: string, capabilityArgs: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const declared = (JSON.parse(pluginText) as { capabilities?: Record<string, boolean> }).capabilities ?? {};
  const picked = Object.fromEntries(Object.entries(capabilityArgs ?? {}).filter(([name]) => declared[name] === true));
  return Object.keys(picked).length > 0 ? picked : undefined;
}

describe.skipIf(missing !== undefined && !referenceRequired())('plugin input: Go libcni vs ours', () => {
  let reference: GoReference;
  /** The packaged reference is older than spec 1.1.0 (Debian 12 ships libcni 1.1.2, which speaks up to 1.0.0). */
  let legacy = false;

  beforeAll(async () => {
    reference = await buildGoReference();
    legacy = !reference.supportedVersions.includes('1.1.0');
  }, 120_000);
  afterAll(disposeGoReference);

  async function newWorld(): Promise<DiffWorld> {
    const world = await DiffWorld.create(reference);
    onTestFinished(() => world.dispose());
    return world;
  }

  /** The replies of a chain; a reference that cannot read 1.1.0 results gets 1.0.0 ones. */
  function repliesFor(version: string, count: number): Record<string, unknown>[] {
    const replyVersion = legacy && version === '1.1.0' ? '1.0.0' : version;
    return Array.from({ length: count }, (_, n) => resultOf(replyVersion, n));
  }

  describe.each(CASES)('$title', (c) => {
    it('ADD, CHECK and DEL give every plugin the same CNI_* environment and stdin', async () => {
      const world = await newWorld();
      const file = await world.config(c.fileName, c.text);
      const replies = repliesFor(c.version, c.plugins.length);
      const oldReference110 = legacy && c.version === '1.1.0';

      // ADD: in list order, each plugin after the first gets the previous result as prevResult.
      const goAdd = await world.go('add', file, c.rt, { replies });
      const ourAdd = await world.ours('add', file, c.rt, { replies });
      expectOk(goAdd, 'Go ADD');
      expectOk(ourAdd, 'our ADD');
      expect(goAdd.received).toHaveLength(c.plugins.length);
      expect(ourAdd.received).toHaveLength(c.plugins.length);
      for (const [i, text] of c.plugins.entries()) {
        const [go, ours] = [goAdd.received[i]!, ourAdd.received[i]!];
        expect(go.env['CNI_COMMAND']).toBe('ADD');
        expect(ours.json['tag']).toBe((JSON.parse(text) as { tag: string }).tag);
        expect(ours.json['runtimeConfig']).toEqual(runtimeConfigFor(text, c.rt.capabilityArgs) ?? (JSON.parse(text) as Record<string, unknown>)['runtimeConfig']);
        if (i === 0) {
          // No previous plugin: whatever the file has (normally nothing) goes through.
          const written = (JSON.parse(text) as { prevResult?: unknown }).prevResult;
          expect(go.json['prevResult']).toEqual(written);
          expect(ours.json['prevResult']).toEqual(written);
        }
        if (oldReference110 && i > 0) {
          // Go passes the previous result on in the version the plugin wrote; we convert it to
          // the list's version (a B difference), which this reference cannot even express.
          expect((go.json['prevResult'] as { cniVersion: string }).cniVersion).toBe('1.0.0');
          expect(ours.json['prevResult']).toEqual({ ...(go.json['prevResult'] as object), cniVersion: '1.1.0' });
          expectSameInput(go, ours, text, { ignorePrevResult: true });
        } else {
          expectSameInput(go, ours, text);
        }
      }
      if (oldReference110) {
        expect(goAdd.outcome).toEqual({ ok: true, result: replies.at(-1) });
        expect(ourAdd.outcome).toEqual({ ok: true, result: { ...replies.at(-1), cniVersion: '1.1.0' } });
      } else {
        expect(ourAdd.outcome).toEqual(goAdd.outcome);
      }

      // CHECK (0.4.0 and later): every plugin gets the cached result as prevResult.
      const goCheck = await world.go('check', file, c.rt);
      const ourCheck = await world.ours('check', file, c.rt);
      if (c.disableCheck) {
        expectOk(goCheck, 'Go CHECK');
        expectOk(ourCheck, 'our CHECK');
        expect(goCheck.received).toEqual([]);
        expect(ourCheck.received).toEqual([]);
      } else if (compareVersions(c.version, '0.4.0') < 0) {
        expectFailed(goCheck, /does not support the CHECK command/);
        expectFailed(ourCheck, /does not support the CHECK command/);
        expect(goCheck.received).toEqual([]);
        expect(ourCheck.received).toEqual([]);
      } else if (oldReference110) {
        // This reference cannot convert its cached 1.0.0 result to 1.1.0 and runs nothing.
        expectFailed(goCheck, /no converter for CNI result version 1\.0\.0 to 1\.1\.0/);
        expect(goCheck.received).toEqual([]);
        expectOk(ourCheck, 'our CHECK');
        expect(ourCheck.received).toHaveLength(c.plugins.length);
      } else {
        expectOk(goCheck, 'Go CHECK');
        expectOk(ourCheck, 'our CHECK');
        expect(ourCheck.received).toHaveLength(c.plugins.length);
        for (const [i, text] of c.plugins.entries()) {
          expect(ourCheck.received[i]!.json['prevResult']).toEqual(ourAdd.outcome.ok && ourAdd.outcome.result);
          expectSameInput(goCheck.received[i]!, ourCheck.received[i]!, text);
        }
      }

      // DEL: in reverse order; from 0.4.0 on, each plugin gets the cached result as prevResult.
      const goDel = await world.go('del', file, c.rt);
      const ourDel = await world.ours('del', file, c.rt);
      expectOk(ourDel, 'our DEL');
      const reversed = [...c.plugins].reverse();
      expect(ourDel.received).toHaveLength(c.plugins.length);
      await expect(readFile(world.cacheFile(world.ourCache, NETWORK, c.rt))).rejects.toThrow(/ENOENT/);
      if (oldReference110) {
        expectFailed(goDel, /no converter for CNI result version 1\.0\.0 to 1\.1\.0/);
        expect(goDel.received).toEqual([]);
        // Without a cache entry this reference does run DEL for 1.1.0: compare that.
        const fresh = { ...c.rt, containerId: `${c.rt.containerId}-fresh` };
        const goFresh = await world.go('del', file, fresh);
        const ourFresh = await world.ours('del', file, fresh);
        expectOk(goFresh, 'Go DEL without cache');
        expectOk(ourFresh, 'our DEL without cache');
        for (const [i, text] of reversed.entries()) expectSameInput(goFresh.received[i]!, ourFresh.received[i]!, text);
      } else {
        expectOk(goDel, 'Go DEL');
        await expect(readFile(world.cacheFile(world.goCache, NETWORK, c.rt))).rejects.toThrow(/ENOENT/);
        for (const [i, text] of reversed.entries()) {
          const ours = ourDel.received[i]!;
          expect(ours.json['tag']).toBe((JSON.parse(text) as { tag: string }).tag);
          expect('prevResult' in ours.json).toBe(compareVersions(c.version, '0.4.0') >= 0);
          expectSameInput(goDel.received[i]!, ours, text);
        }
      }
    });
  });

  it('DEL and CHECK: we replay the capability args and CNI_ARGS cached at ADD; Go sends the current ones (B)', async () => {
    const world = await newWorld();
    const plugins = PLUGINS.slice(0, 2);
    const file = await world.config('10-replay.conflist', conflist('1.0.0', plugins));
    const replies = repliesFor('1.0.0', 2);
    const later: Rt = {
      ...rtFull,
      netns: '',
      args: [['OTHER', 'x']],
      capabilityArgs: { portMappings: [{ hostPort: 9090, containerPort: 90, protocol: 'udp' }], mac: '02:00:00:00:00:99' },
    };
    expectOk(await world.go('add', file, rtFull, { replies }), 'Go ADD');
    expectOk(await world.ours('add', file, rtFull, { replies }), 'our ADD');

    for (const op of ['check', 'del'] as const) {
      const go = await world.go(op, file, later);
      const ours = await world.ours(op, file, later);
      expectOk(go, `Go ${op}`);
      expectOk(ours, `our ${op}`);
      const order = op === 'del' ? [...plugins].reverse() : plugins;
      for (const [i, text] of order.entries()) {
        const [g, o] = [go.received[i]!, ours.received[i]!];
        expect(g.env['CNI_ARGS']).toBe('OTHER=x');
        expect(o.env['CNI_ARGS']).toBe('IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0');
        expect(g.env['CNI_NETNS']).toBe('');
        expect(o.env['CNI_NETNS']).toBe('');
        const fileRuntimeConfig = (JSON.parse(text) as { runtimeConfig?: unknown }).runtimeConfig;
        expect(g.json['runtimeConfig']).toEqual(runtimeConfigFor(text, later.capabilityArgs) ?? fileRuntimeConfig);
        expect(o.json['runtimeConfig']).toEqual(runtimeConfigFor(text, rtFull.capabilityArgs) ?? fileRuntimeConfig);
        expect(g.json['runtimeConfig']).not.toEqual(o.json['runtimeConfig']);
        const { CNI_ARGS: _g, ...goEnv } = g.env;
        const { CNI_ARGS: _o, ...ourEnv } = o.env;
        expect(ourEnv).toEqual(goEnv);
        const { runtimeConfig: _gr, ...goRest } = g.json;
        const { runtimeConfig: _or, ...ourRest } = o.json;
        expect(ourRest).toEqual(goRest);
      }
    }
  });

  it('ADD: we pass prevResult in the list version; Go passes it in the version the plugin wrote (B)', async () => {
    const world = await newWorld();
    const file = await world.config('10-mixed.conflist', conflist('1.0.0', PLUGINS));
    const replies = [resultOf('0.4.0', 0), resultOf('0.3.1', 1), resultOf('0.4.0', 2)];
    const goAdd = await world.go('add', file, rtFull, { replies });
    const ourAdd = await world.ours('add', file, rtFull, { replies });
    expectOk(goAdd, 'Go ADD');
    expectOk(ourAdd, 'our ADD');
    for (const i of [1, 2]) {
      expect(goAdd.received[i]!.json['prevResult']).toEqual(replies[i - 1]);
      expect(ourAdd.received[i]!.json['prevResult']).toEqual(resultOf('1.0.0', i - 1));
      expectSameInput(goAdd.received[i]!, ourAdd.received[i]!, PLUGINS[i]!, { ignorePrevResult: true });
    }
    // The final result: Go returns and caches the last plugin's version, we the list's.
    expect(goAdd.outcome).toEqual({ ok: true, result: replies[2] });
    expect(ourAdd.outcome).toEqual({ ok: true, result: resultOf('1.0.0', 2) });
    const goEntry = JSON.parse(await readFile(world.cacheFile(world.goCache, NETWORK, rtFull), 'utf8')) as { result: unknown };
    const ourEntry = JSON.parse(await readFile(world.cacheFile(world.ourCache, NETWORK, rtFull), 'utf8')) as { result: unknown };
    expect(goEntry.result).toEqual(replies[2]);
    expect(ourEntry.result).toEqual(resultOf('1.0.0', 2));

    // On DEL Go converts its cached 0.4.0 result to the list version too, so both send the same.
    const goDel = await world.go('del', file, rtFull);
    const ourDel = await world.ours('del', file, rtFull);
    expectOk(goDel, 'Go DEL');
    expectOk(ourDel, 'our DEL');
    for (const [i, text] of [...PLUGINS].reverse().entries()) {
      expect(ourDel.received[i]!.json['prevResult']).toEqual(resultOf('1.0.0', 2));
      expectSameInput(goDel.received[i]!, ourDel.received[i]!, text);
    }
  });

  it('a result without dns: this reference adds "dns": {} to prevResult and the cache, we leave it out', async () => {
    const world = await newWorld();
    const plugins = PLUGINS.slice(1, 3);
    const file = await world.config('10-nodns.conflist', conflist('1.0.0', plugins));
    const replies = [resultOf('1.0.0', 0, { dns: false }), resultOf('1.0.0', 1, { dns: false })];
    const goAdd = await world.go('add', file, rtBare, { replies });
    const ourAdd = await world.ours('add', file, rtBare, { replies });
    expectOk(goAdd, 'Go ADD');
    expectOk(ourAdd, 'our ADD');
    expect(ourAdd.received[1]!.json['prevResult']).toEqual(replies[0]);
    expect(ourAdd.outcome).toEqual({ ok: true, result: replies[1] });
    if (legacy) {
      expect(goAdd.received[1]!.json['prevResult']).toEqual({ ...replies[0], dns: {} });
      expect(goAdd.outcome).toEqual({ ok: true, result: { ...replies[1], dns: {} } });
      expectSameInput(goAdd.received[1]!, ourAdd.received[1]!, plugins[1]!, { ignorePrevResult: true });
    } else {
      expectSameInput(goAdd.received[1]!, ourAdd.received[1]!, plugins[1]!);
      expect(ourAdd.outcome).toEqual(goAdd.outcome);
    }
  });

  it('a 1.1.0 result: this reference cannot read it (it speaks up to 1.0.0); we can', async () => {
    const world = await newWorld();
    const file = await world.config('10-v11.conflist', conflist('1.1.0', PLUGINS.slice(2, 3)));
    const reply = { ...resultOf('1.1.0', 0), interfaces: [{ name: 'eth0', mtu: 1400, socketPath: '/run/x.sock', pciID: '0000:00:01.0' }] };
    const goAdd = await world.go('add', file, rtBare, { replies: [reply] });
    const ourAdd = await world.ours('add', file, rtBare, { replies: [reply] });
    expectOk(ourAdd, 'our ADD');
    expect(ourAdd.outcome).toEqual({ ok: true, result: reply });
    expect(goAdd.received).toHaveLength(1);
    expectSameInput(goAdd.received[0]!, ourAdd.received[0]!, PLUGINS[2]!);
    if (legacy) {
      expectFailed(goAdd, /unsupported CNI result version "1\.1\.0"/);
    } else {
      expect(goAdd.outcome).toEqual(ourAdd.outcome);
    }
  });

  it('VERSION: same environment; each library sends its own newest spec version on stdin', async () => {
    const world = await newWorld();
    const go = await world.goRequest({ op: 'version', pluginType: RECORD_PLUGIN });
    const ours = await world.oursCall('version', {}, (cni) => cni.getVersionInfo(RECORD_PLUGIN));
    expect(go.received).toHaveLength(1);
    expect(ours.received).toHaveLength(1);
    const [g, o] = [go.received[0]!, ours.received[0]!];
    expect(o.env).toEqual(g.env);
    expect(o.env).toEqual({
      CNI_COMMAND: 'VERSION',
      CNI_CONTAINERID: '',
      CNI_NETNS: 'dummy',
      CNI_IFNAME: 'dummy',
      CNI_ARGS: '',
      CNI_PATH: 'dummy',
    });
    expect(g.stdin).toBe(JSON.stringify({ cniVersion: reference.specVersion }));
    expect(o.stdin).toBe(JSON.stringify({ cniVersion: '1.1.0' }));
    expect(go.outcome).toEqual({ ok: true, result: { supportedVersions: ALL_VERSIONS } });
    expect(ours.outcome).toEqual({ ok: true, result: { cniVersion: '1.1.0', supportedVersions: ALL_VERSIONS } });
  });

  it('validateNetworkList: same VERSION runs and the same capabilities', async () => {
    const world = await newWorld();
    const file = await world.config('10-validate.conflist', conflist('1.0.0', PLUGINS));
    const go = await world.goRequest({ op: 'validate', configFile: file });
    const list = await loadConfList(file);
    const ours = await world.oursCall('validate', {}, (cni) => cni.validateNetworkList(list));
    expectOk(go, 'Go validate');
    expectOk(ours, 'our validate');
    const sorted = (run: Run) => [...((run.outcome.ok && (run.outcome.result as string[])) || [])].sort();
    expect(sorted(ours)).toEqual(sorted(go));
    expect(sorted(ours)).toEqual(['mac', 'portMappings']);
    expect(go.received.length).toBe(PLUGINS.length);
    expect(ours.received.map((r) => r.env)).toEqual(go.received.map((r) => r.env));
  });

  it('GC: compared when the reference has GCNetworkList; this one says it has none', async () => {
    const world = await newWorld();
    const file = await world.config('10-gc.conflist', conflist('1.1.0', PLUGINS.slice(2, 3)));
    const validAttachments = [{ containerID: 'ctr-keep', ifname: 'eth0' }];
    const go = await world.goRequest({ op: 'gc', configFile: file, cacheDir: world.goCache, validAttachments });
    if (legacy) {
      expectFailed(go, /^unsupported: this version of libcni has no GCNetworkList$/);
      expect(go.received).toEqual([]);
      return;
    }
    const list = await loadConfList(file);
    const ours = await world.oursCall('gc', {}, (cni) =>
      cni.gcNetworkList(list, { validAttachments: validAttachments.map((a) => ({ containerId: a.containerID, ifName: a.ifname })) }),
    );
    expectOk(go, 'Go GC');
    expectOk(ours, 'our GC');
    const gcRuns = (run: Run) => run.received.filter((r) => r.env['CNI_COMMAND'] === 'GC');
    expect(gcRuns(ours)).toHaveLength(1);
    expectSameInput(gcRuns(go)[0]!, gcRuns(ours)[0]!, PLUGINS[2]!);
  });

});
