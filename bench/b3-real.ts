// 3. ADD + DEL of the real bridge (host-local IPAM) + portmap chain through the library, in both
//    configurations, vs the same binaries run directly. Everything happens in a throwaway "host"
//    namespace and a fresh container namespace per attachment; all of them are deleted at the end.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { judge, type Row } from './lib/report.js';
import { interleave, summarize } from './lib/stats.js';
import type { Workspace } from './lib/setup.js';
import { CONFIG_NAMES, type BenchOptions, type ConfigName } from './options.js';

const PLUGIN_DIR = '/usr/lib/cni';
const WORKER = fileURLToPath(new URL('./real-worker.js', import.meta.url));
const PREFIX = `lcb${process.pid}`;

export const TARGET_3 = 1.05;

/** Why this benchmark cannot run here, or undefined. */
export function realChainProblem(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'needs root (creates network namespaces)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'needs iproute2 (`ip`)';
  if (spawnSync('iptables', ['-V']).status !== 0) return 'needs iptables (portmap)';
  for (const plugin of ['bridge', 'host-local', 'portmap']) {
    if (!existsSync(path.join(PLUGIN_DIR, plugin))) return `needs ${PLUGIN_DIR}/${plugin} (apt-get install -y containernetworking-plugins)`;
  }
  return undefined;
}

function ip(...args: string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr.trim()}`);
}

const created = new Set<string>();

function addNetns(name: string): string {
  ip('netns', 'add', name);
  created.add(name);
  return `/var/run/netns/${name}`;
}

function delNetns(name: string): void {
  spawnSync('ip', ['netns', 'del', name]);
  created.delete(name);
}

/** Deletes every namespace this run created (also called on the way out after a failure). */
export function cleanupNamespaces(): void {
  for (const name of [...created]) delNetns(name);
}

export async function benchRealChain(workspace: Workspace, options: BenchOptions): Promise<Row[]> {
  const hostName = `${PREFIX}-host`;
  addNetns(hostName);
  ip('-n', hostName, 'link', 'set', 'lo', 'up');
  const dir = path.join(workspace.root, 'real');
  await mkdir(dir, { recursive: true });
  const conflist = JSON.stringify({
    cniVersion: '1.0.0',
    name: 'benchreal',
    plugins: [
      {
        type: 'bridge',
        bridge: 'lcbbr0',
        isGateway: true,
        ipMasq: false,
        ipam: { type: 'host-local', ranges: [[{ subnet: '198.18.0.0/16' }]], dataDir: path.join(dir, 'ipam') },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  });
  const configFile = path.join(dir, 'worker.json');
  await writeFile(
    configFile,
    JSON.stringify({
      conflist,
      cniPath: [PLUGIN_DIR],
      cacheDir: path.join(dir, 'cache'),
      capabilityArgs: { portMappings: [{ hostPort: 18080, containerPort: 80, protocol: 'tcp' }] },
    }),
  );

  // One worker process per variant, each asked one request at a time.
  const startWorker = (mode: 'direct' | ConfigName) => {
    const worker = spawn('ip', ['netns', 'exec', hostName, process.execPath, WORKER, configFile, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: worker.stdout! });
    const waiting: ((line: string) => void)[] = [];
    lines.on('line', (line) => waiting.shift()?.(line));
    worker.on('exit', () => {
      for (const waiter of waiting.splice(0)) waiter('{"ok":false,"error":"worker exited"}');
    });
    const ask = (request: object) =>
      new Promise<string>((resolve) => {
        waiting.push(resolve);
        worker.stdin!.write(`${JSON.stringify(request)}\n`);
      });
    const stop = async () => {
      worker.stdin!.end();
      await new Promise((resolve) => (worker.exitCode !== null || worker.signalCode !== null ? resolve(undefined) : worker.once('exit', resolve)));
    };
    return { mode, ask, stop };
  };
  const workers = [startWorker('direct'), ...CONFIG_NAMES.map(startWorker)];

  let serial = 0;
  const batch = (worker: (typeof workers)[number], count: number) => async () => {
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const name = `${PREFIX}-c${serial++}`;
      const netns = addNetns(name);
      try {
        const reply = JSON.parse(await worker.ask({ netns, containerId: `${worker.mode}-${serial}` })) as { ok: boolean; ms: number; error?: string };
        if (!reply.ok) throw new Error(`real chain (${worker.mode}) failed: ${reply.error}`);
        samples.push(reply.ms);
      } finally {
        delNetns(name);
      }
    }
    return samples;
  };
  const count = options.quick ? 2 : 5;
  const rounds = options.quick ? 2 : 10;
  try {
    const samples = await interleave(
      rounds,
      workers.map((worker) => ({ name: worker.mode, batch: batch(worker, count) })),
    );
    const base = summarize(samples.get('direct')!);
    const target = { kind: 'ratio-max' as const, value: TARGET_3 };
    return CONFIG_NAMES.map((config): Row => {
      const ours = summarize(samples.get(config)!);
      const ratio = ours.median / base.median;
      return {
        bench: '3',
        config,
        case: `${config} config: bridge+host-local+portmap ADD+DEL`,
        baseline: 'same binaries run directly',
        unit: 'ms',
        base,
        ours,
        ratio,
        target,
        met: judge(ratio, target),
      };
    });
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    cleanupNamespaces();
  }
}
