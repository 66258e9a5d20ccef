// Differential tests of the unhappy paths: argument validation, plugin errors, a failing chain,
// a missing or broken cache entry, and unusual plugin output. Codes and what ran must match the Go
// reference library, except where we differ on purpose; those differences are asserted here.

import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECORD_PLUGIN, skipWithoutReference, useGoReference, type Rt, type Run } from './harness.js';

const NETWORK = 'failnet';

function conflist(version: string, count: number, name = NETWORK): string {
  const plugins = Array.from({ length: count }, (_, i) => `{"type": "${RECORD_PLUGIN}", "tag": "f${i}"}`);
  return `{"cniVersion": "${version}", "name": "${name}", "plugins": [${plugins.join(', ')}]}`;
}

const RESULT = { cniVersion: '1.0.0', ips: [{ address: '10.3.0.2/24', gateway: '10.3.0.1' }], dns: { nameservers: ['10.3.0.1'] } };
const rt: Rt = { containerId: 'ctr-fail', netns: '/var/run/netns/fail', ifName: 'eth0' };

function codeOf(run: Run): number | undefined {
  return run.outcome.ok ? undefined : run.outcome.code;
}

function errorOf(run: Run): string {
  return run.outcome.ok ? '' : run.outcome.error;
}

describe.skipIf(skipWithoutReference)('failures: Go libcni vs ours', () => {
  const ref = useGoReference();


  const invalid: [string, number, Partial<Rt>][] = [
    ['empty container ID', 3, { containerId: '' }],
    ['container ID starting with -', 4, { containerId: '-abc' }],
    ['container ID with /', 4, { containerId: 'a/b' }],
    ['empty ifName', 4, { ifName: '' }],
    ['16-byte ifName', 4, { ifName: 'a'.repeat(16) }],
    ['ifName "."', 4, { ifName: '.' }],
    ['ifName ".."', 4, { ifName: '..' }],
    ['ifName with /', 4, { ifName: 'a/b' }],
    ['ifName with :', 4, { ifName: 'a:b' }],
    ['ifName with a space', 4, { ifName: 'a b' }],
    ['ifName with a tab', 4, { ifName: 'a\tb' }],
  ];

  it.each(invalid)('ADD with %s: both refuse with CNI code %i before running a plugin', async (_, code, change) => {
    const world = await ref.newWorld();
    const file = await world.config('10-fail.conflist', conflist('1.0.0', 1));
    const bad = { ...rt, ...change };
    const go = await world.go('add', file, bad, { replies: [RESULT] });
    const ours = await world.ours('add', file, bad, { replies: [RESULT] });
    expect(codeOf(go)).toBe(code);
    expect(codeOf(ours)).toBe(code);
    expect(go.received).toEqual([]);
    expect(ours.received).toEqual([]);
  });

  it.each([
    ['a leading _', '_bad'],
    ['a !', 'bad.name!'],
  ])('ADD of a network name with %s: both refuse with CNI code 7', async (_, name) => {
    const world = await ref.newWorld();
    const file = await world.config('10-fail.conflist', conflist('1.0.0', 1, name));
    const go = await world.go('add', file, rt, { replies: [RESULT] });
    const ours = await world.ours('add', file, rt, { replies: [RESULT] });
    expect(codeOf(go)).toBe(7);
    expect(codeOf(ours)).toBe(7);
    expect(go.received).toEqual([]);
    expect(ours.received).toEqual([]);
  });

  it('ADD accepts the edge of what is valid: container ID a.b_c-1, a 15-byte ifName', async () => {
    const world = await ref.newWorld();
    const file = await world.config('10-fail.conflist', conflist('1.0.0', 1));
    const edge = { ...rt, containerId: 'a.b_c-1', ifName: 'a'.repeat(15) };
    const go = await world.go('add', file, edge, { replies: [RESULT] });
    const ours = await world.ours('add', file, edge, { replies: [RESULT] });
    expect(go.outcome.ok && ours.outcome.ok).toBe(true);
    expect(ours.received[0]!.env).toEqual(go.received[0]!.env);
  });

  it('DEL with an ifName that escapes the cache dir: Go reads and removes a file outside results/, we refuse (on purpose)', async () => {
    const world = await ref.newWorld();
    const file = await world.config('10-fail.conflist', conflist('1.0.0', 1));
    const escaping = { ...rt, ifName: '../../../victim' }; // <cache>/results/<net>-<id>-.. /../../victim
    const victim = JSON.stringify({ cniVersion: '1.0.0', ips: [{ address: '10.66.0.1/32' }] });
    for (const cache of [world.goCache, world.ourCache]) {
      await mkdir(path.join(cache, 'results'), { recursive: true });
      await writeFile(path.join(cache, 'victim'), victim);
    }
    const go = await world.go('del', file, escaping);
    const ours = await world.ours('del', file, escaping);
    expect(go.outcome).toEqual({ ok: true });
    expect(go.received).toHaveLength(1);
    expect(go.received[0]!.json['prevResult']).toMatchObject(JSON.parse(victim) as object);
    await expect(stat(path.join(world.goCache, 'victim'))).rejects.toThrow(/ENOENT/);
    expect(codeOf(ours)).toBe(4);
    expect(ours.received).toEqual([]);
    expect(await readFile(path.join(world.ourCache, 'victim'), 'utf8')).toBe(victim);
  });

  it('CNI_ARGS value with ; or =: Go passes it on unescaped, we refuse it before running (on purpose)', async () => {
    const world = await ref.newWorld();
    const file = await world.config('10-fail.conflist', conflist('1.0.0', 1));
    const ambiguous = { ...rt, args: [['K', 'a;B=c']] as [string, string][] };
    const go = await world.go('add', file, ambiguous, { replies: [RESULT] });
    const ours = await world.ours('add', file, ambiguous, { replies: [RESULT] });
    expect(go.outcome.ok).toBe(true);
    expect(go.received[0]!.env['CNI_ARGS']).toBe('K=a;B=c');
    expect(ours.outcome.ok).toBe(false);
    expect(errorOf(ours)).toMatch(/CNI_ARGS/);
    expect(ours.received).toEqual([]);
  });

  it('a plugin error object: same CNI code and message; the chain stops; nothing is cached', async () => {
    const world = await ref.newWorld();
    const file = await world.config('10-fail.conflist', conflist('1.0.0', 3));
    const failures = { 1: { code: 11, msg: 'try again later', details: 'lock busy' } };
    const go = await world.go('add', file, rt, { replies: [RESULT], failures });
    const ours = await world.ours('add', file, rt, { replies: [RESULT], failures });
    expect(codeOf(go)).toBe(11);
    expect(codeOf(ours)).toBe(11);
    // The same words; we also name the network.
    expect(errorOf(go)).toBe('plugin type="diff-record" failed (add): try again later; lock busy');
    expect(errorOf(ours)).toBe(`plugin type="diff-record" name="${NETWORK}" failed (add): try again later; lock busy`);
    expect(go.received).toHaveLength(2);
    expect(ours.received).toHaveLength(2);
    await expect(stat(world.cacheFile(world.goCache, NETWORK, rt))).rejects.toThrow(/ENOENT/);
    await expect(stat(world.cacheFile(world.ourCache, NETWORK, rt))).rejects.toThrow(/ENOENT/);
  });

  it('a failed ADD: Go leaves the plugins that ran configured; by default we DEL the list again (on purpose)', async () => {
    const world = await ref.newWorld();
    const file = await world.config('10-fail.conflist', conflist('1.0.0', 3));
    const failures = { 1: { code: 7, msg: 'bad config' } };
    const go = await world.go('add', file, rt, { replies: [RESULT], failures });
    const ours = await world.ours('add', file, rt, { replies: [RESULT], failures, rollback: true });
    expect(go.received.map((r) => r.env['CNI_COMMAND'])).toEqual(['ADD', 'ADD']);
    expect(ours.received.map((r) => `${r.env['CNI_COMMAND']} ${String(r.json['tag'])}`)).toEqual([
      'ADD f0',
      'ADD f1',
      'DEL f2',
      'DEL f1',
      'DEL f0',
    ]);
    expect(codeOf(ours)).toBe(7);
    expect(errorOf(ours)).toMatch(/rolled back/);
  });

  it('a failing DEL: Go stops at the failing plugin, we still run the rest (on purpose); both keep the cache entry', async () => {
    const world = await ref.newWorld();
    const file = await world.config('10-fail.conflist', conflist('1.0.0', 3));
    expect((await world.go('add', file, rt, { replies: [RESULT] })).outcome.ok).toBe(true);
    expect((await world.ours('add', file, rt, { replies: [RESULT] })).outcome.ok).toBe(true);
    const failures = { 1: { code: 999, msg: 'cannot release' } };
    const go = await world.go('del', file, rt, { failures });
    const ours = await world.ours('del', file, rt, { failures });
    expect(codeOf(go)).toBe(999);
    expect(codeOf(ours)).toBe(999);
    expect(go.received.map((r) => r.json['tag'])).toEqual(['f2', 'f1']);
    expect(ours.received.map((r) => r.json['tag'])).toEqual(['f2', 'f1', 'f0']);
    expect(ours.received[1]!.json).toEqual(go.received[1]!.json);
    await expect(stat(world.cacheFile(world.goCache, NETWORK, rt))).resolves.toBeTruthy();
    await expect(stat(world.cacheFile(world.ourCache, NETWORK, rt))).resolves.toBeTruthy();
  });

  it('a plugin missing from the path: Go runs the plugins before it first, we run none (ADD); on DEL Go stops, we go on (on purpose)', async () => {
    const world = await ref.newWorld();
    const text = `{"cniVersion": "1.0.0", "name": "${NETWORK}", "plugins": [
      {"type": "${RECORD_PLUGIN}", "tag": "f0"}, {"type": "not-installed"}, {"type": "${RECORD_PLUGIN}", "tag": "f2"}]}`;
    const file = await world.config('10-missing.conflist', text);
    const goAdd = await world.go('add', file, rt, { replies: [RESULT] });
    const ourAdd = await world.ours('add', file, rt, { replies: [RESULT] });
    expect(errorOf(goAdd)).toMatch(/failed to find plugin "not-installed" in path/);
    expect(errorOf(ourAdd)).toMatch(/not-installed/);
    expect(goAdd.received.map((r) => r.json['tag'])).toEqual(['f0']);
    expect(ourAdd.received).toEqual([]);

    const goDel = await world.go('del', file, rt);
    const ourDel = await world.ours('del', file, rt);
    expect(errorOf(goDel)).toMatch(/failed to find plugin "not-installed" in path/);
    expect(errorOf(ourDel)).toMatch(/not-installed/);
    expect(goDel.received.map((r) => r.json['tag'])).toEqual(['f2']);
    expect(ourDel.received.map((r) => r.json['tag'])).toEqual(['f2', 'f0']);
  });

  it('CHECK with nothing cached: Go checks without prevResult, we refuse (the spec forbids CHECK before ADD)', async () => {
    const world = await ref.newWorld();
    const file = await world.config('10-fail.conflist', conflist('0.4.0', 2));
    const go = await world.go('check', file, rt);
    const ours = await world.ours('check', file, rt);
    expect(go.outcome).toEqual({ ok: true });
    expect(go.received).toHaveLength(2);
    expect(go.received.every((r) => !('prevResult' in r.json))).toBe(true);
    expect(errorOf(ours)).toMatch(/cached ADD result does not exist/);
    expect(ours.received).toEqual([]);
  });

  it('DEL with an empty (torn) cache file: we DEL without prevResult and remove it; this reference fails', async () => {
    const world = await ref.newWorld();
    const file = await world.config('10-fail.conflist', conflist('1.0.0', 2));
    for (const cache of [world.goCache, world.ourCache]) {
      await mkdir(path.join(cache, 'results'), { recursive: true });
      await writeFile(world.cacheFile(cache, NETWORK, rt), '');
    }
    const go = await world.go('del', file, rt);
    const ours = await world.ours('del', file, rt);
    expect(ours.outcome).toEqual({ ok: true });
    expect(ours.received).toHaveLength(2);
    expect(ours.received.every((r) => !('prevResult' in r.json))).toBe(true);
    await expect(stat(world.cacheFile(world.ourCache, NETWORK, rt))).rejects.toThrow(/ENOENT/);
    if (ref.legacy) {
      // libcni before 1.2 gives up on an unreadable entry and keeps it, so every retry fails too.
      expect(errorOf(go)).toMatch(/failed to get network "failnet" cached result/);
      expect(go.received).toEqual([]);
      await expect(stat(world.cacheFile(world.goCache, NETWORK, rt))).resolves.toBeTruthy();
    } else {
      expect(go.outcome).toEqual({ ok: true });
      expect(ours.received.map((r) => r.json)).toEqual(go.received.map((r) => r.json));
    }
  });

  it('an error object without code: Go takes it as code 0, we report output that is not a CNI error', async () => {
    const world = await ref.newWorld();
    const file = await world.config('10-fail.conflist', conflist('1.0.0', 1));
    const failures = { 0: { msg: 'no code here' } };
    const go = await world.go('add', file, rt, { failures });
    const ours = await world.ours('add', file, rt, { failures });
    expect(go.outcome).toEqual({ ok: false, code: 0, error: 'plugin type="diff-record" failed (add): no code here' });
    expect(ours.outcome.ok).toBe(false);
    expect(codeOf(ours)).toBeUndefined();
    expect(errorOf(ours)).toMatch(/not a CNI error/);
    expect(errorOf(ours)).toContain('no code here');
  });

  it('plugin output null, or with unknown keys: Go re-encodes it typed, we pass the JSON on as written', async () => {
    const world = await ref.newWorld();
    const file = await world.config('10-fail.conflist', conflist('1.0.0', 2));
    const odd = {
      cniVersion: '1.0.0',
      ips: [{ address: '10.3.0.2/24', note: 'extra' }],
      vendor: { x: 1 },
      dns: { nameservers: ['10.3.0.1'] },
    };
    const go = await world.go('add', file, rt, { replies: ['null', odd] });
    const ours = await world.ours('add', file, { ...rt, containerId: 'ctr-fail-2' }, { replies: ['null', odd] });
    // null: an empty result of the list's version; this reference also adds an empty dns.
    expect(go.received[1]!.json['prevResult']).toEqual(ref.legacy ? { cniVersion: '1.0.0', dns: {} } : { cniVersion: '1.0.0' });
    expect(ours.received[1]!.json['prevResult']).toEqual({ cniVersion: '1.0.0' });
    // Unknown keys: Go drops them, we keep them (in the result and the cache).
    expect(go.outcome).toEqual({ ok: true, result: { cniVersion: '1.0.0', ips: [{ address: '10.3.0.2/24' }], dns: odd.dns } });
    expect(ours.outcome).toEqual({ ok: true, result: odd });
  });
});
