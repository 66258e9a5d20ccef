// User case B50 (docs/CONFORMANCE.md): DEL order and prevResult in a chain, and a failed ADD mid-chain.

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNetworkList } from '../../src/index.js';
import { caseWorld, exists, rejectionOf, type CaseWorld } from './support.js';

// Each qN logs "<CMD> qN", saves its stdin, and on ADD passes prevResult through (q1 makes the first result).
function q(name: string): string {
  return `input=$(cat)
echo "$CNI_COMMAND ${name}" >> "$TMP/log"
printf '%s' "$input" > "$TMP/${name}-$CNI_COMMAND.json"
[ "$CNI_COMMAND" = ADD ] || exit 0
if [ "${name}" = q2 ] && [ -f "$TMP/fail2" ]; then echo '{"code":11,"msg":"later"}'; exit 1; fi
if [ "${name}" = q1 ]; then echo '{"cniVersion":"1.0.0","ips":[{"address":"10.88.0.18/16"}]}'; exit 0; fi
prev=\${input#*\\"prevResult\\":}
echo "\${prev%\\}}"`;
}

async function chainWorld(): Promise<CaseWorld> {
  const w = await caseWorld();
  await w.config('10-a.conflist', { cniVersion: '1.0.0', name: 'chainnet', plugins: [{ type: 'q1' }, { type: 'q2' }, { type: 'q3' }] });
  for (const name of ['q1', 'q2', 'q3']) await w.plugin(name, q(name));
  return w;
}

const FINAL = { cniVersion: '1.0.0', ips: [{ address: '10.88.0.18/16' }] };

describe('chain cases', () => {
  it('B50: ADD runs q1..q3 passing the result on; DEL runs q3..q1, each with the cached final result', async () => {
    const w = await chainWorld();
    const list = await loadNetworkList(w.confDir, 'chainnet');
    const cni = w.cni();
    const rt = { containerId: 'ctr1', netns: '/var/run/netns/ns1', ifName: 'eth0' };
    expect(await cni.addNetworkList(list, rt)).toEqual(FINAL);
    expect((await w.json('q2-ADD.json'))!['prevResult']).toEqual(FINAL);
    await cni.delNetworkList(list, rt);
    expect(await w.log()).toEqual(['ADD q1', 'ADD q2', 'ADD q3', 'DEL q3', 'DEL q2', 'DEL q1']);
    for (const name of ['q1', 'q2', 'q3']) expect((await w.json(`${name}-DEL.json`))!['prevResult']).toEqual(FINAL);
    expect(await w.cacheNames()).toEqual([]);
  });

  it('B50: an ADD failing at q2 stops there, caches nothing, and the default rollback DELs q3, q2, q1 without prevResult', async () => {
    const w = await chainWorld();
    await writeFile(path.join(w.tmp, 'fail2'), '');
    const list = await loadNetworkList(w.confDir, 'chainnet');
    const rt = { containerId: 'ctr2', netns: '/var/run/netns/ns2', ifName: 'eth0' };
    const error = await rejectionOf<Error & Record<string, unknown>>(w.cni().addNetworkList(list, rt));
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN', cniCode: 11, msg: 'later', plugin: 'q2', rollback: { ok: true } });
    expect(await w.log()).toEqual(['ADD q1', 'ADD q2', 'DEL q3', 'DEL q2', 'DEL q1']);
    for (const name of ['q1', 'q2', 'q3']) expect(Object.keys((await w.json(`${name}-DEL.json`))!)).not.toContain('prevResult');
    expect(await exists(w.cacheFile('chainnet', 'ctr2', 'eth0'))).toBe(false);
  });

  it('B50: with rollback off the caller\'s own DEL after the failed ADD runs q3, q2, q1 and succeeds', async () => {
    const w = await chainWorld();
    await writeFile(path.join(w.tmp, 'fail2'), '');
    const list = await loadNetworkList(w.confDir, 'chainnet');
    const rt = { containerId: 'ctr2', netns: '/var/run/netns/ns2', ifName: 'eth0' };
    const cni = w.cni({ rollbackOnFailure: false });
    await expect(cni.addNetworkList(list, rt)).rejects.toMatchObject({ cniCode: 11, plugin: 'q2' });
    expect(await w.log()).toEqual(['ADD q1', 'ADD q2']);
    expect(await w.cacheNames()).toEqual([]);
    await cni.delNetworkList(list, rt);
    expect((await w.log()).slice(2)).toEqual(['DEL q3', 'DEL q2', 'DEL q1']);
    for (const name of ['q1', 'q2', 'q3']) expect(Object.keys((await w.json(`${name}-DEL.json`))!)).not.toContain('prevResult');
  });

  it('B50: a missing binary in the middle of the chain fails ADD before any plugin ran, and DEL still releases the others', async () => {
    const w = await caseWorld();
    await w.config('10-a.conflist', { cniVersion: '1.0.0', name: 'chainnet', plugins: [{ type: 'q1' }, { type: 'gone' }, { type: 'q3' }] });
    for (const name of ['q1', 'q3']) await w.plugin(name, q(name));
    const list = await loadNetworkList(w.confDir, 'chainnet');
    const rt = { containerId: 'ctr3', netns: '/var/run/netns/ns3', ifName: 'eth0' };
    await expect(w.cni().addNetworkList(list, rt)).rejects.toMatchObject({ code: 'ERR_CNI_PLUGIN_NOT_FOUND', plugin: 'gone' });
    expect(await w.log()).toEqual([]);
    const error = await rejectionOf(w.cni().delNetworkList(list, rt));
    expect(error).toMatchObject({ code: 'ERR_CNI_PLUGIN_NOT_FOUND', plugin: 'gone' });
    expect(await w.log()).toEqual(['DEL q3', 'DEL q1']);
  });
});
