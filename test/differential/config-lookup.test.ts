// Differential tests of finding a network in a config directory: the Go reference library's
// LoadConfList and our loadNetworkList must pick the same file and read the same list from it.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNetworkList, type NetworkConfigList } from '../../src/index.js';
import { DiffWorld, RECORD_PLUGIN, skipWithoutReference, useGoReference } from './harness.js';


function list(name: string, tag: string, extra = ''): string {
  return `{"cniVersion": "1.0.0", "name": "${name}",${extra} "plugins": [{"type": "${RECORD_PLUGIN}", "tag": "${tag}"}]}\n`;
}

function single(name: string, tag: string): string {
  return `{"cniVersion": "0.4.0", "name": "${name}", "type": "${RECORD_PLUGIN}", "tag": "${tag}"}\n`;
}

/** What each library made of the config it picked. */
interface Loaded {
  name: string;
  cniVersion: string;
  disableCheck: boolean;
  plugins: Record<string, unknown>[];
  bytes: string;
}

type Lookup = { ok: true; loaded: Loaded } | { ok: false; error: string };

interface LookupCase {
  title: string;
  files: Record<string, string>;
  /** Directories to create (a name that looks like a config file must be skipped). */
  dirs?: string[];
  network: string;
  /** The tag of the plugin in the file both must pick, or the error both must give. */
  expected: { tag: string; file: string } | { error: RegExp };
}

const CASES: LookupCase[] = [
  {
    title: '.conflist files are tried before .conf, whatever the names',
    files: { '00-x.conf': single('x', 'conf'), '99-x.conflist': list('x', 'conflist') },
    network: 'x',
    expected: { tag: 'conflist', file: '99-x.conflist' },
  },
  {
    title: 'files are tried in byte-wise order of their names',
    files: { '2-b.conflist': list('x', 'b'), '10-a.conflist': list('x', 'a'), 'B.conflist': list('x', 'upper') },
    network: 'x',
    expected: { tag: 'a', file: '10-a.conflist' },
  },
  {
    title: '.conf and .json files are tried together, in name order',
    files: { '10-x.conf': single('x', 'conf'), '05-x.json': single('x', 'json') },
    network: 'x',
    expected: { tag: 'json', file: '05-x.json' },
  },
  {
    title: 'other extensions, upper case and directories are ignored',
    files: { 'a.CONFLIST': list('x', 'upper'), 'b.conflist.bak': list('x', 'bak'), 'c.txt': list('x', 'txt'), 'z.conf': single('x', 'z') },
    dirs: ['sub.conflist'],
    network: 'x',
    expected: { tag: 'z', file: 'z.conf' },
  },
  {
    title: 'a .conf is found when no .conflist has the name',
    files: { '10-y.conflist': list('y', 'y'), '20-x.conf': single('x', 'x') },
    network: 'x',
    expected: { tag: 'x', file: '20-x.conf' },
  },
  {
    title: 'the first of several lists with the same name wins; disableCheck is read',
    files: { '10-x.conflist': list('x', 'first', ' "disableCheck": true,'), '20-x.conflist': list('x', 'second') },
    network: 'x',
    expected: { tag: 'first', file: '10-x.conflist' },
  },
  {
    title: 'no file has the name',
    files: { '10-y.conflist': list('y', 'y') },
    network: 'x',
    expected: { error: /^no net configuration with name "x" in / },
  },
  {
    title: 'no config files at all',
    files: { 'readme.txt': 'hello' },
    network: 'x',
    expected: { error: /^no net configurations found in / },
  },
];

describe.skipIf(skipWithoutReference)('config lookup: Go libcni vs ours', () => {
  const ref = useGoReference();

  async function setup(files: Record<string, string>, dirs: readonly string[] = []): Promise<DiffWorld> {
    const world = await ref.newWorld();
    for (const [name, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(world.confDir, name)), { recursive: true });
      await world.config(name, text);
    }
    for (const dir of dirs) await mkdir(path.join(world.confDir, dir), { recursive: true });
    return world;
  }

  async function goLookup(world: DiffWorld, network: string, confDir = world.confDir): Promise<Lookup> {
    const run = await world.goRequest({ op: 'load', confDir, network });
    return run.outcome.ok ? { ok: true, loaded: run.outcome.result as Loaded } : { ok: false, error: run.outcome.error };
  }

  async function ourLookup(world: DiffWorld, network: string, options: { skipInvalid?: boolean; confDir?: string } = {}): Promise<Lookup> {
    let found: NetworkConfigList;
    try {
      found = await loadNetworkList(options.confDir ?? world.confDir, network, { skipInvalid: options.skipInvalid ?? true });
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
    return {
      ok: true,
      loaded: {
        name: found.name,
        cniVersion: found.cniVersion,
        disableCheck: found.disableCheck,
        plugins: found.plugins.map((plugin) => JSON.parse(plugin.bytes) as Record<string, unknown>),
        bytes: Buffer.from(found.bytes).toString('utf8'),
      },
    };
  }

  it.each(CASES)('$title', async (c) => {
    const world = await setup(c.files, c.dirs);
    const go = await goLookup(world, c.network);
    const ours = await ourLookup(world, c.network);
    if ('error' in c.expected) {
      expect(go).toMatchObject({ ok: false, error: expect.stringMatching(c.expected.error) });
      expect(ours).toEqual(go);
      return;
    }
    expect(go.ok && ours.ok, JSON.stringify({ go, ours })).toBe(true);
    if (!go.ok || !ours.ok) return;
    const text = c.files[c.expected.file]!;
    expect(ours.loaded.plugins.map((plugin) => plugin['tag'])).toEqual([c.expected.tag]);
    expect(ours.loaded.plugins).toEqual(go.loaded.plugins);
    expect({ ...ours.loaded, bytes: '' }).toEqual({ ...go.loaded, bytes: '' });
    expect(ours.loaded.bytes).toBe(text);
    if (c.expected.file.endsWith('.conflist')) {
      expect(go.loaded.bytes).toBe(text);
    } else {
      // A .conf/.json: Go's list bytes are the list it up-converted the file to; ours, the file.
      const conf = JSON.parse(text) as { name: string; cniVersion: string };
      expect(JSON.parse(go.loaded.bytes)).toEqual({ cniVersion: conf.cniVersion, name: conf.name, plugins: [conf] });
    }
  });

  it('a config dir that does not exist: both say no configs were found', async () => {
    const world = await setup({});
    const gone = path.join(world.root, 'missing');
    const go = await goLookup(world, 'x', gone);
    const ours = await ourLookup(world, 'x', { confDir: gone });
    expect(go).toEqual({ ok: false, error: `no net configurations found in ${gone}` });
    expect(ours).toEqual(go);
  });

  it('a broken .conflist before the match: Go fails the lookup, we skip the file by default (on purpose)', async () => {
    const world = await setup({ '05-broken.conflist': '{"name": "x", "plugins": [', '10-x.conflist': list('x', 'good') });
    const go = await goLookup(world, 'x');
    const ours = await ourLookup(world, 'x');
    const strict = await ourLookup(world, 'x', { skipInvalid: false });
    expect(go).toMatchObject({ ok: false, error: expect.stringMatching(/error parsing configuration list/) });
    expect(ours).toMatchObject({ ok: true, loaded: { name: 'x', plugins: [{ tag: 'good' }] } });
    expect(strict).toMatchObject({ ok: false, error: expect.stringMatching(/05-broken\.conflist/) });
  });

  it('plugin objects in <dir>/<network>/*.conf: appended by us (libcni 1.3 does too); this reference ignores them', async () => {
    const world = await setup({ '10-x.conflist': list('x', 'inline'), 'x/50-extra.conf': `{"type": "${RECORD_PLUGIN}", "tag": "extra"}` });
    const go = await goLookup(world, 'x');
    const ours = await ourLookup(world, 'x');
    expect(ours).toMatchObject({ ok: true, loaded: { plugins: [{ tag: 'inline' }, { tag: 'extra' }] } });
    if (ref.legacy) expect(go).toMatchObject({ ok: true, loaded: { plugins: [{ tag: 'inline' }] } });
    else expect(go).toEqual(ours);
  });
});
