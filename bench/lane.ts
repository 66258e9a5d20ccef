// One Node process that times one thing, asked by bench/main.ts one JSON line at a time (the same
// protocol as bench/go/main.go): a "lane". Argument: `baseline` (bare spawns; the library is never
// loaded), `default` or `fast` (the library in that configuration, see bench/options.ts).
//
// Each configuration runs in its own process because a process's past work changes how fast it
// spawns: execa grows the heap, and fork() copies the page tables of the whole process, so
// after a few thousand execa runs every spawn in that process (bare ones too) is about 25 %
// slower. Separate lanes keep one configuration from slowing another or the baseline.
//
// Requests (every timing op answers {"ok":true,"ms":[...]}):
//   {"op":"spawn","count":n,"requests":[{file,stdin,env},...]}   bare spawns of the requests, in
//        order, one sample per pass over them
//   {"op":"exec","count":n,"request":{...ExecRequest}}          the configuration's executor
//   {"op":"version","count":n,"binDir","cacheDir","type"}        cni.getVersionInfo(type)
//   {"op":"add","count":n,"binDir","cacheDir","conflist","netns","idPrefix"}   ADD of a fresh attachment
//   {"op":"chain","count":n,"binDir","cacheDir","conflist","netns","idPrefix"}
//        ADD then DEL of a fresh attachment, one sample per pair
//   {"op":"concurrency","mode":"serial"|"parallel","attachments":n,"concurrency":c,"binDir",
//        "cacheDir","conflist","idPrefix"}   n ADDs then n DELs; one sample: the total
//   {"op":"breakdown","passes":n,...chain fields}   -> {"ok":true,"total":ms,"inExecutor":ms}
//        means per ADD + DEL, with the cni:plugin:finish diagnostics channel subscribed
//   {"op":"record","binDir","cacheDir","conflist","type","rt"}
//        -> {"ok":true,"requests":[...]}: the plugin runs of getVersionInfo(type), then of ADD
//        and DEL of rt, as the executor received them (to replay them as bare spawns)

import diagnostics from 'node:diagnostics_channel';
import { createInterface } from 'node:readline';
import type { CNI, CNIOptions, ExecRequest, PluginExecutor, RuntimeConf } from '../src/index.js';
import { bareSpawn, type BareRequest } from './lib/bare.js';
import { timeEach } from './lib/stats.js';
import type { ConfigName } from './options.js';

type LaneName = 'baseline' | ConfigName;
const lane = process.argv[2] as LaneName;
if (!['baseline', 'default', 'fast'].includes(lane)) throw new Error(`unknown lane ${lane}`);

interface Where {
  binDir: string;
  cacheDir: string;
  conflist: string;
}

// The library, loaded only by the default and fast lanes.
const library = lane === 'baseline' ? undefined : await import('../src/index.js');
const options: CNIOptions = lane === 'baseline' ? {} : (await import('./lib/configs.js')).configOptions(lane);
const executor: PluginExecutor | undefined = library ? (options.executor ?? library.defaultExecutor) : undefined;

function lib(): NonNullable<typeof library> {
  if (!library) throw new Error('the baseline lane does not load the library');
  return library;
}

const instances = new Map<string, CNI>();
function cni(where: { binDir: string; cacheDir: string }, extra: CNIOptions = {}): CNI {
  const key = JSON.stringify([where.binDir, where.cacheDir, extra]);
  let instance = instances.get(key);
  if (!instance) {
    instance = new (lib().CNI)({ ...options, ...extra, path: [where.binDir], cacheDir: where.cacheDir });
    instances.set(key, instance);
  }
  return instance;
}

const lists = new Map<string, ReturnType<NonNullable<typeof library>['parseConfList']>>();
function list(text: string) {
  let parsed = lists.get(text);
  if (!parsed) {
    parsed = lib().parseConfList(text);
    lists.set(text, parsed);
  }
  return parsed;
}

const rtOf = (containerId: string, netns: string): RuntimeConf => ({ containerId, netns, ifName: 'eth0' });

async function cycle(instance: CNI, text: string, rt: RuntimeConf): Promise<void> {
  await instance.addNetworkList(list(text), rt);
  await instance.delNetworkList(list(text), rt);
}

async function handle(request: Record<string, unknown>): Promise<Record<string, unknown>> {
  const count = Number(request['count'] ?? 1);
  const where = request as unknown as Where;
  switch (request['op']) {
    case 'spawn': {
      const requests = request['requests'] as BareRequest[];
      return {
        ms: await timeEach(count, async () => {
          for (const one of requests) await bareSpawn(one);
        }),
      };
    }
    case 'exec': {
      if (!executor) throw new Error('the baseline lane has no executor');
      const run = request['request'] as ExecRequest;
      return {
        ms: await timeEach(count, async () => {
          const outcome = await executor.exec(run);
          if (outcome.exitCode !== 0) throw new Error(`plugin run failed: ${outcome.exitCode ?? outcome.signal ?? outcome.spawnError?.message}`);
        }),
      };
    }
    case 'version': {
      const instance = cni(where);
      return { ms: await timeEach(count, () => instance.getVersionInfo(String(request['type']))) };
    }
    case 'add': {
      const instance = cni(where);
      return { ms: await timeEach(count, (i) => instance.addNetworkList(list(where.conflist), rtOf(`${String(request['idPrefix'])}-${i}`, String(request['netns'])))) };
    }
    case 'chain': {
      const instance = cni(where);
      return { ms: await timeEach(count, (i) => cycle(instance, where.conflist, rtOf(`${String(request['idPrefix'])}-${i}`, String(request['netns'])))) };
    }
    case 'concurrency': {
      const parallel = request['mode'] === 'parallel';
      const instance = cni(where, parallel ? { concurrency: Number(request['concurrency']) } : {});
      const ids = Array.from({ length: Number(request['attachments']) }, (_, i) => rtOf(`${String(request['idPrefix'])}-${i}`, '/var/run/netns/bench'));
      const parsed = list(where.conflist);
      const started = performance.now();
      if (parallel) {
        await Promise.all(ids.map((rt) => instance.addNetworkList(parsed, rt)));
        await Promise.all(ids.map((rt) => instance.delNetworkList(parsed, rt)));
      } else {
        for (const rt of ids) await instance.addNetworkList(parsed, rt);
        for (const rt of ids) await instance.delNetworkList(parsed, rt);
      }
      return { ms: [performance.now() - started] };
    }
    case 'breakdown': {
      const instance = cni(where);
      const passes = Number(request['passes']);
      let inExecutor = 0;
      const onFinish = (message: unknown) => (inExecutor += (message as { durationMs: number }).durationMs);
      diagnostics.subscribe('cni:plugin:finish', onFinish);
      const started = performance.now();
      try {
        for (let i = 0; i < passes; i++) await cycle(instance, where.conflist, rtOf(`${String(request['idPrefix'])}-${i}`, String(request['netns'])));
      } finally {
        diagnostics.unsubscribe('cni:plugin:finish', onFinish);
      }
      return { total: (performance.now() - started) / passes, inExecutor: inExecutor / passes };
    }
    case 'record': {
      const requests: ExecRequest[] = [];
      const recorder: PluginExecutor = {
        exec(run) {
          requests.push(run);
          return executor!.exec(run);
        },
      };
      const instance = new (lib().CNI)({ ...options, executor: recorder, path: [where.binDir], cacheDir: where.cacheDir });
      await instance.getVersionInfo(String(request['type']));
      await cycle(instance, where.conflist, request['rt'] as RuntimeConf);
      return { requests: requests.map(({ signal: _signal, ...rest }) => rest) };
    }
    default:
      throw new Error(`unknown op ${String(request['op'])}`);
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  let answer: Record<string, unknown>;
  try {
    answer = { ok: true, ...(await handle(JSON.parse(line) as Record<string, unknown>)) };
  } catch (error) {
    answer = { ok: false, error: (error as Error).stack ?? String(error) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
