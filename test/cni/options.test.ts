// The options that trade safety for speed: `lockFiles: false` keeps the locking rules inside this
// process only, `cacheSync: false` skips the fsyncs of the cache write but keeps it atomic.
import { link, open, readFile, readdir, stat, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RT, installChain, resultOf } from '../helpers/chain.js';
import { calls, createFakeEnv, stdinOf, type FakeEnv } from '../helpers/fake-env.js';
import { waitForFile } from '../helpers/processes.js';

// Every rename made through node:fs/promises (the cache write's last step), passed through to the
// real one.
const renames = vi.hoisted(() => [] as [string, string][]);
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const rename: typeof actual.rename = async (from, to) => {
    renames.push([String(from), String(to)]);
    return actual.rename(from, to);
  };
  return { ...actual, default: { ...actual, rename }, rename };
});

afterEach(() => {
  renames.length = 0;
  vi.restoreAllMocks();
});

/** Every file and directory under `dir`, relative to it, sorted; none when it does not exist. */
async function tree(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true })).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Waits until the recorder has started its `seq`-th run (it records before it sleeps). */
function started(env: FakeEnv, seq: number, type: string, command: string): Promise<string> {
  return waitForFile(path.join(env.recordDir, `${String(seq).padStart(3, '0')}-${type}-${command}.stdin`));
}

describe('lockFiles: false', () => {
  it('creates nothing under <cacheDir>/locks, where the default holds a lock file per attachment', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['first', 'last']);
    await env.answer('first', 'ADD', { sleep: 0.3 });

    // The default, while an ADD is in flight: the attachment's lock file is there.
    const locked = env.cni({ cacheDir: path.join(env.root, 'cache-locked') });
    const lockedAdd = locked.addNetworkList(list, RT);
    await started(env, 1, 'first', 'ADD');
    expect(await tree(path.join(env.root, 'cache-locked', 'locks'))).toEqual(['chainnet', path.join('chainnet', 'ctr1-eth0.lock')]);
    await lockedAdd;

    // Without lock files, at the same point and after every kind of operation.
    const cni = env.cni({ lockFiles: false });
    const add = cni.addNetworkList(list, RT);
    await started(env, 3, 'first', 'ADD');
    expect(await tree(env.cacheDir)).toEqual(['results']);
    await add;
    await cni.checkNetworkList(list, RT);
    await cni.delNetworkList(list, RT);
    await cni.gcNetworkList(list, { validAttachments: [] });
    expect(await tree(env.cacheDir)).toEqual(['results']);
    expect(calls(await env.invocations())).toEqual(['ADD first', 'ADD last', 'ADD first', 'ADD last', 'CHECK first', 'CHECK last', 'DEL last', 'DEL first']);
  });

  it('still runs the operations on one attachment one after another, in the order they were called', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['first', 'last']);
    // The first plugin each operation runs is slow: an operation that did not wait for the one
    // before would start its plugins while that one is still in its first.
    await env.answer('first', 'ADD', { sleep: 0.3 });
    await env.answer('first', 'CHECK', { sleep: 0.3 });
    await env.answer('last', 'DEL', { sleep: 0.3 });
    const cni = env.cni({ lockFiles: false });

    await Promise.all([cni.addNetworkList(list, RT), cni.checkNetworkList(list, RT), cni.delNetworkList(list, RT)]);

    const runs = await env.invocations();
    // Each operation's first plugin marks its start, its last plugin its end.
    expect(calls(runs)).toEqual(['ADD first', 'ADD last', 'CHECK first', 'CHECK last', 'DEL last', 'DEL first']);
    // CHECK and DEL saw the result ADD cached: it was complete before they began.
    expect(stdinOf(runs[2])['prevResult']).toEqual(resultOf('last', 1));
    expect(stdinOf(runs[4])['prevResult']).toEqual(resultOf('last', 1));
    expect(await cni.getCachedAttachments()).toEqual([]);
  });

  it('makes a GC of the network wait for an ADD in flight on it', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['first', 'last']);
    await env.answer('first', 'ADD', { sleep: 0.3 });
    const cni = env.cni({ lockFiles: false });

    const add = cni.addNetworkList(list, RT);
    await started(env, 1, 'first', 'ADD');
    // No attachment is valid: a GC that ran now would find nothing cached and do nothing; one that
    // waits finds the finished ADD's entry and DELs it.
    await cni.gcNetworkList(list, { validAttachments: [] });
    await add;

    const runs = await env.invocations();
    expect(calls(runs)).toEqual(['ADD first', 'ADD last', 'DEL last', 'DEL first']);
    expect(stdinOf(runs[2])['prevResult']).toEqual(resultOf('last', 1));
    expect(await cni.getCachedAttachments()).toEqual([]);
  });

  it('makes an ADD wait for a GC in flight on its network', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['first', 'last'], { version: '1.1.0' });
    for (const type of ['first', 'last']) {
      await env.answer(type, 'VERSION', { stdout: '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}' });
    }
    await env.answer('first', 'GC', { sleep: 0.3 });
    const cni = env.cni({ lockFiles: false });

    const gc = cni.gcNetworkList(list, { validAttachments: [] });
    await started(env, 2, 'first', 'GC');
    await cni.addNetworkList(list, RT);
    await gc;

    expect(calls(await env.invocations())).toEqual(['VERSION first', 'GC first', 'VERSION last', 'GC last', 'ADD first', 'ADD last']);
  });
});

describe('cacheSync: false', () => {
  it('writes the same cache file as a synced write', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['first', 'last']);
    const rt = { ...RT, args: { K: 'V' }, capabilityArgs: { mac: 'aa:bb:cc:dd:ee:ff' } };
    const synced = env.cni({ cacheDir: path.join(env.root, 'cache-synced') });
    const unsynced = env.cni({ cacheDir: path.join(env.root, 'cache-unsynced'), cacheSync: false });
    await synced.addNetworkList(list, rt);
    await unsynced.addNetworkList(list, rt);

    const file = (dir: string) => path.join(env.root, dir, 'results', 'chainnet-ctr1-eth0');
    const [one, other] = await Promise.all([readFile(file('cache-synced')), readFile(file('cache-unsynced'))]);
    expect(other.equals(one)).toBe(true);
    expect((await stat(file('cache-unsynced'))).mode & 0o777).toBe(0o600);
    expect(await tree(path.join(env.root, 'cache-unsynced', 'results'))).toEqual(['chainnet-ctr1-eth0']);
  });

  it('still writes atomically: a temp file in the results directory renamed over the old file', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['first', 'last']);
    const results = path.join(env.cacheDir, 'results');
    const file = path.join(results, 'chainnet-ctr1-eth0');
    // An old file under the name, with a second name that keeps its inode in view.
    await mkdir(results, { recursive: true });
    await writeFile(file, 'old');
    await link(file, path.join(env.root, 'old-link'));
    const before = await stat(file);

    await env.cni({ cacheSync: false, lockFiles: false }).addNetworkList(list, RT);

    expect(renames).toHaveLength(1);
    const [from, to] = renames[0]!;
    expect(to).toBe(file);
    expect(path.dirname(from)).toBe(results);
    expect(path.basename(from)).toMatch(new RegExp(`^\\.chainnet-ctr1-eth0\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`));
    // The name now points to a new file; the old one was replaced whole, never written into.
    expect((await stat(file)).ino).not.toBe(before.ino);
    expect(await readFile(path.join(env.root, 'old-link'), 'utf8')).toBe('old');
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ kind: 'cniCacheV1', containerId: 'ctr1', result: resultOf('last', 1) });
    expect(await tree(results)).toEqual(['chainnet-ctr1-eth0']);
  });

  it('skips the fsyncs of the file and its directory that the default makes', async () => {
    const env = await createFakeEnv();
    const { list } = await installChain(env, ['first', 'last']);
    const probe = await open(env.recordDir, 'r');
    const fileHandle = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
    await probe.close();
    const sync = vi.spyOn(fileHandle, 'sync');

    await env.cni({ cacheDir: path.join(env.root, 'cache-synced') }).addNetworkList(list, RT);
    expect(sync).toHaveBeenCalledTimes(2);
    sync.mockClear();
    await env.cni({ cacheDir: path.join(env.root, 'cache-unsynced'), cacheSync: false }).addNetworkList(list, RT);
    expect(sync).not.toHaveBeenCalled();
  });
});
