// Cache writes survive SIGKILL at any point: child processes write entries in a loop and are
// killed a random 0-30 ms after their first write, again and again until 1,000 writes were attempted; after every
// kill each cache file must hold exactly its old or its new content. The temp files that killed
// writes leave behind are ignored by the cache listing and do not disturb DEL.

import { spawn } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cacheFilePath, decodeCacheEntry, encodeCacheEntry, listCachedAttachments, writeCacheEntry, type AttachmentKey, type CacheEntry } from '../../src/index.js';
import { NOTHING_LEFT, builtLibrary, createWorld, settledLeftovers, starts } from './support.js';

const WRITER = fileURLToPath(new URL('./cache-writer.mjs', import.meta.url));

const TOTAL_WRITES = Number(process.env["LIBCNI_CRASH_WRITES"] ?? 1_000); // fewer for a quick local run
const LANES = 3; // children at once, each on its own keys
const MAX_RUNS = 600; // bounds the loop even if children die before writing

/** A result of about `count` addresses: B is large (several pages) so a torn write would show. */
function result(count: number) {
  return {
    cniVersion: '1.0.0',
    ips: Array.from({ length: count }, (_, i) => ({ address: `10.198.${i >> 8}.${i & 255}/16` })),
    dns: {},
  };
}

interface RunOutcome {
  attempts: number;
  killed: boolean;
}

interface Writer {
  /** Starts writing; SIGKILLs the writer `delayMs` later (unless it finished first). */
  run(first: number, count: number, delayMs: number): Promise<RunOutcome>;
  /** Kills a writer that was never run. */
  discard(): Promise<void>;
}

/** Starts a writer child and resolves once it has loaded the library and waits for "go". */
function startWriter(cacheModule: string, cacheDir: string, specFile: string): Promise<Writer> {
  return new Promise((resolveReady, rejectReady) => {
    const child = spawn(process.execPath, [WRITER, cacheModule, cacheDir, specFile], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    let onFirstWrite: (() => void) | undefined;
    let onReady: (() => void) | undefined = () =>
      resolveReady({
        run(first, count, delayMs) {
          // The clock starts at the first write, so that the kill lands inside the write loop.
          let timer: NodeJS.Timeout | undefined;
          onFirstWrite = () => (timer = setTimeout(kill, delayMs));
          child.stdin.write(`go ${first} ${count}\n`);
          return closed.then(({ code, signal }) => {
            clearTimeout(timer);
            if (signal !== 'SIGKILL' && code !== 0) throw new Error(`writer exited with ${code ?? signal}: ${stderr}`);
            return { attempts: out.split('\n').filter((line) => line === 'w').length, killed: signal === 'SIGKILL' };
          });
        },
        async discard() {
          kill();
          await closed;
        },
      });
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    child.stdin.on('error', () => {});
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (onReady && out.startsWith('ready\n')) {
        onReady();
        onReady = undefined;
      }
      if (onFirstWrite && out.includes('\nw\n')) {
        onFirstWrite();
        onFirstWrite = undefined;
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', rejectReady);
    void closed.then(({ code, signal }) => {
      if (onReady) rejectReady(new Error(`writer exited with ${code ?? signal} before it was ready: ${stderr}`));
    });
  });
}

describe('cache writes killed at random points', () => {
  it('leave every cache file with exactly its old or its new content', { timeout: 180_000 }, async () => {
    const world = await createWorld();
    const cacheModule = (await builtLibrary()).cache;
    await world.install('rec');
    const { text: config, list } = world.list(['rec'], { name: 'crashnet' });
    const a = result(2);
    const b = result(300);
    const lanes = Array.from({ length: LANES }, (_, lane) =>
      ['eth0', 'eth1'].map((ifName): AttachmentKey => ({ networkName: 'crashnet', containerId: `lane${lane}`, ifName })),
    );
    const expected = new Map<string, [string, string]>();
    for (const key of lanes.flat()) {
      const entry = (value: unknown): CacheEntry => ({ kind: 'cniCacheV1', ...key, config: Buffer.from(config), result: value });
      expected.set(cacheFilePath(world.cacheDir, key), [encodeCacheEntry(entry(a)), encodeCacheEntry(entry(b))]);
      // Every file starts with content A, so "old" is always one of the two.
      await writeCacheEntry(world.cacheDir, entry(a));
    }
    const specs = await Promise.all(
      lanes.map(async (keys, lane) => {
        const file = path.join(world.root, `spec${lane}.json`);
        await writeFile(file, JSON.stringify({ keys, config, a, b }));
        return file;
      }),
    );

    let attempts = 0;
    let runs = 0;
    let kills = 0;
    let checked = 0;
    let torn = 0;
    const tornExamples: string[] = [];
    const laneWork = async (lane: number) => {
      let next = 0;
      // The next writer starts loading while the current one runs, so kills come quickly.
      let spare = startWriter(cacheModule, world.cacheDir, specs[lane]!);
      while (attempts < TOTAL_WRITES && runs < MAX_RUNS) {
        runs++;
        const writer = await spare;
        spare = startWriter(cacheModule, world.cacheDir, specs[lane]!);
        const outcome = await writer.run(next, Math.max(1, TOTAL_WRITES - attempts), Math.random() * 30);
        attempts += outcome.attempts;
        next += outcome.attempts;
        if (outcome.killed) kills++;
        // Every cache file, also those other lanes' writers are replacing right now.
        for (const key of lanes.flat()) {
          const file = cacheFilePath(world.cacheDir, key);
          const text = await readFile(file, 'utf8');
          checked++;
          const [old, fresh] = expected.get(file)!;
          if (text !== old && text !== fresh) {
            torn++;
            if (tornExamples.length < 3) tornExamples.push(`${file}: ${text.length} bytes`);
          } else {
            expect(decodeCacheEntry(text, file).state).toBe('ok');
          }
        }
      }
      await (await spare).discard();
    };
    await Promise.all(lanes.map((_, lane) => laneWork(lane)));

    const results = path.join(world.cacheDir, 'results');
    const tempFiles = (await readdir(results)).filter((name) => name.startsWith('.'));
    console.log(
      `crash safety: ${attempts} writes attempted in ${runs} runs (${kills} killed), ` +
        `${checked} file reads checked, ${torn} torn, ${tempFiles.length} temp files left by killed writes`,
    );
    expect(tornExamples).toEqual([]);
    expect(torn).toBe(0);
    expect(attempts).toBeGreaterThanOrEqual(TOTAL_WRITES);
    expect(kills).toBeGreaterThan(0);

    // A half-written temp file as a killed write leaves it (made here too, so it is always there).
    const [firstKey] = lanes[0]!;
    const partial = path.join(results, `.${path.basename(cacheFilePath(world.cacheDir, firstKey!))}.4242.deadbeef0000.tmp`);
    await writeFile(partial, expected.get(cacheFilePath(world.cacheDir, firstKey!))![1].slice(0, 1000));

    const listed = await listCachedAttachments(world.cacheDir);
    expect(listed.map((entry) => `${entry.containerId}/${entry.ifName}`).sort()).toEqual(
      lanes.flat().map((key) => `${key.containerId}/${key.ifName}`).sort(),
    );

    // DEL works with the temp files present, and removes the real entries.
    const cni = world.cni();
    for (const key of lanes.flat()) {
      await cni.delNetworkList(list, { containerId: key.containerId, ifName: key.ifName, netns: '/var/run/netns/rel-none' });
    }
    expect(starts(await world.log(), ['DEL'])).toHaveLength(lanes.flat().length);
    expect(await listCachedAttachments(world.cacheDir)).toEqual([]);
    const left = await settledLeftovers(world);
    expect({ ...left, tempFiles: [] }).toEqual(NOTHING_LEFT);
    expect(left.tempFiles.length).toBe(tempFiles.length + 1);
  });
});
