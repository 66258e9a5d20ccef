// A workload to profile: `node --cpu-prof bench/.out/bench/profile-target.js <scenario> <count>`
// (bench/profile.ts runs it and summarises the profile). Scenarios:
//   spawn    bare spawns of the fake plugin (the floor)
//   exec     defaultExecutor.exec (execa, the default)
//   spawn-executor  spawnExecutor.exec (the opt-in node:child_process executor)
//   chain    ADD + DEL of the 3-plugin fake chain through the library, default configuration
//   chain-fast  the same in the fast configuration (spawnExecutor, lockFiles and cacheSync off)
//   spawn6   the six plugin runs of one such ADD + DEL as bare spawns
//   load     loadNetworkList on a directory of 1,000 config files

import path from 'node:path';
import { CNI, defaultExecutor, loadNetworkList, parseConfList, spawnExecutor } from '../src/index.js';
import { bareSpawn, recording } from './lib/bare.js';
import { configOptions } from './lib/configs.js';
import { FAKE_TYPES, createWorkspace, writeFakeList } from './lib/setup.js';
import { writeConfigDir } from './b4-load.js';

const [scenario = 'chain', countText = '1000'] = process.argv.slice(2);
const count = Number(countText);
const workspace = await createWorkspace();
try {
  const { text } = await writeFakeList(workspace, FAKE_TYPES, 'chain.conflist', 'chainnet');
  const list = parseConfList(text);
  const cni = new CNI({ path: [workspace.binDir], cacheDir: path.join(workspace.root, 'cache') });
  const rt = (id: string) => ({ containerId: id, netns: '/var/run/netns/bench', ifName: 'eth0' });
  const fast = new CNI({ ...configOptions('fast'), path: [workspace.binDir], cacheDir: path.join(workspace.root, 'cache') });
  const recorder = recording(spawnExecutor);
  const probe = new CNI({ path: [workspace.binDir], cacheDir: path.join(workspace.root, 'cache'), executor: recorder });
  await probe.addNetworkList(list, rt('probe'));
  await probe.delNetworkList(list, rt('probe'));
  const request = recorder.requests[0]!;
  const six = [...recorder.requests];
  let run: (index: number) => Promise<unknown>;
  switch (scenario) {
    case 'spawn':
      run = () => bareSpawn(request);
      break;
    case 'exec':
      run = () => defaultExecutor.exec(request);
      break;
    case 'spawn-executor':
      run = () => spawnExecutor.exec(request);
      break;
    case 'chain':
      run = async (index) => {
        await cni.addNetworkList(list, rt(`p${index}`));
        await cni.delNetworkList(list, rt(`p${index}`));
      };
      break;
    case 'chain-fast':
      run = async (index) => {
        await fast.addNetworkList(list, rt(`f${index}`));
        await fast.delNetworkList(list, rt(`f${index}`));
      };
      break;
    case 'spawn6':
      run = async () => {
        for (const one of six) await bareSpawn(one);
      };
      break;
    case 'load': {
      const { dir, name } = await writeConfigDir(workspace);
      run = () => loadNetworkList(dir, name);
      break;
    }
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
  for (let i = 0; i < Math.min(50, count); i++) await run(-1 - i);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < count; i++) await run(i);
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  process.stdout.write(`${JSON.stringify({ scenario, count, wallMsPerOp: wall / count, cpuMsPerOp: (used.user + used.system) / 1000 / count, rssMB: process.memoryUsage().rss / 2 ** 20 })}\n`);
} finally {
  await workspace.dispose();
}
