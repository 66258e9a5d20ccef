// Differential tests: the same ADD / CHECK / DEL through the Go reference library and through
// ours, with a fake plugin that records its CNI_* environment and stdin. Both must hand every
// plugin the same environment and, as parsed JSON, the same stdin. Where we differ on purpose
// (README, "How it differs from the Go library") or where the packaged reference is older than
// the spec we speak, the difference is asserted explicitly (in expectSameInput and below).

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ALL_VERSIONS, compareVersions } from '../../src/index.js';
import { RECORD_PLUGIN, skipWithoutReference, useGoReference, type Rt } from './harness.js';
import {
  NETWORK,
  PLUGINS,
  conflist,
  expectFailed,
  expectOk,
  expectSameInput,
  repliesFor,
  runtimeConfigFor,
  rtBare,
  rtFull,
  singleConf,
} from './inputs.js';

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

describe.skipIf(skipWithoutReference)('plugin input: Go libcni vs ours', () => {
  const ref = useGoReference();

  describe.each(CASES)('$title', (c) => {
    it('ADD, CHECK and DEL give every plugin the same CNI_* environment and stdin', async () => {
      const world = await ref.newWorld();
      const file = await world.config(c.fileName, c.text);
      const replies = repliesFor(c.version, c.plugins.length, ref.legacy);
      const oldReference110 = ref.legacy && c.version === '1.1.0';

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
        const fileRuntimeConfig = (JSON.parse(text) as { runtimeConfig?: unknown }).runtimeConfig;
        expect(ours.json['runtimeConfig']).toEqual(runtimeConfigFor(text, c.rt.capabilityArgs) ?? fileRuntimeConfig);
        if (i === 0) {
          // No previous plugin: whatever the file has (normally nothing) goes through.
          const written = (JSON.parse(text) as { prevResult?: unknown }).prevResult;
          expect(go.json['prevResult']).toEqual(written);
          expect(ours.json['prevResult']).toEqual(written);
        }
        if (oldReference110 && i > 0) {
          // Go passes the previous result on in the version the plugin wrote; we convert it to
          // the list's version (on purpose), which this reference cannot even express.
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
});
