// examples/tiny-runtime end to end: netns + loopback + bridge through libcni, a runc container in
// that namespace, checked from inside and from the host side, stopped, detached, nothing left.
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, requireEnvironment, sh } from '../plugins/lab.js';
import { leftState, runExample } from './run-example.js';

let lab: Lab;
let workdir: string;
// Names the example's container (demo-<id>) and namespace (tiny-demo-<id>), so they can be
// removed here even if the example is killed before it reports them.
const ID = `t${process.pid}`;

beforeAll(async () => {
  requireEnvironment({ plugins: ['loopback', 'bridge', 'host-local'], tools: ['runc', 'busybox', 'nsenter', 'iptables'] });
  lab = await Lab.create('tiny');
  workdir = path.join(lab.dir, 'work');
  await mkdir(workdir);
});

afterAll(async () => {
  // Should the example have failed half way: its container and namespace go too.
  const runcRoot = path.join(workdir ?? '', 'runc');
  if (lab && existsSync(runcRoot)) {
    for (const entry of await readdir(runcRoot)) await sh('runc', ['--root', runcRoot, 'delete', '--force', entry]).catch(() => undefined);
  }
  if (existsSync(`/var/run/netns/tiny-demo-${ID}`)) await sh('ip', ['netns', 'del', `tiny-demo-${ID}`]).catch(() => undefined);
  await lab?.dispose();
});

describe('examples/tiny-runtime', () => {
  it('runs a runc container on CNI networks and removes every trace', { timeout: 180_000 }, async () => {
    const run = await runExample('tiny-runtime', lab, workdir, ['--id', ID]);
    const report = run.report;
    const address = String(report['address']);
    expect(address).toMatch(/^10\.232\.0\.\d+\/24$/);
    // From inside: lo is up (the loopback plugin ran) and eth0 has the address libcni returned.
    expect(report['insideLoopback']).toBe('hello from a runc container on a CNI network');
    expect(report['insideAddr']).toMatch(/lo: <LOOPBACK,UP/);
    expect(report['insideAddr']).toContain(`inet ${address}`);
    // From the host side.
    expect(report['fromHost']).toBe('hello from a runc container on a CNI network');
    expect(report['leftovers']).toEqual([]);
    expect(report['cleanupFailures']).toEqual([]);

    // Checked again from out here.
    expect(report['namespaces']).toEqual([`tiny-demo-${ID}`]);
    expect(await leftState(lab, workdir, ['cni-tiny0'], report['namespaces'])).toEqual([]);
    expect((await sh('runc', ['--root', path.join(workdir, 'runc'), 'list', '-q'])).trim()).toBe('');
    expect(await readdir(path.join(workdir, 'bundles'))).toEqual([]);
    for (const controller of ['memory', 'pids', 'cpu']) expect(existsSync(`/sys/fs/cgroup/${controller}/${report['id']}`)).toBe(false);
    console.log(`tiny-runtime example: ${run.ms} ms (create ${report['createMs']} ms, start ${report['startMs']} ms, stop ${report['stopMs']} ms, remove ${report['removeMs']} ms)`);
  });
});
