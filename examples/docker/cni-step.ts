// The CNI part of the Docker example: attaches a container's network namespace to the networks of
// a config directory, or detaches it. This is what a runtime calls; main.ts runs it as
// `ip netns exec <host ns> node cni-step.ts` so that the bridge, the host end of the veth and the
// iptables rules land in a throwaway namespace instead of on this machine.
//
// stdin:  {"op": "attach" | "detach", "confDir", "cacheDir", "cniPath": [...], "containerId",
//          "netns", "portMappings": [...]}
// stdout: {"results": [{"network", "ifName", "result"}]} for attach, {} for detach.
import { CNI, isCniError, loadNetworkList, type NetworkConfigList, type Result, type RuntimeConf } from '../../dist/index.js';

interface Request {
  op: 'attach' | 'detach';
  confDir: string;
  cacheDir: string;
  cniPath: string[];
  containerId: string;
  netns: string;
  portMappings: { hostPort: number; containerPort: number; protocol: string }[];
}

/** The networks of the container, in attach order: loopback first, then the bridge with ports. */
function networksOf(request: Request): { name: string; ifName: string; capabilityArgs?: Record<string, unknown> }[] {
  return [
    { name: 'loopback', ifName: 'lo' },
    { name: 'docker-example', ifName: 'eth0', capabilityArgs: { portMappings: request.portMappings } },
  ];
}

async function attach(cni: CNI, request: Request): Promise<{ network: string; ifName: string; result: Result }[]> {
  const attached: { list: NetworkConfigList; rt: RuntimeConf; result: Result }[] = [];
  try {
    for (const network of networksOf(request)) {
      const list = await loadNetworkList(request.confDir, network.name);
      const rt: RuntimeConf = { containerId: request.containerId, netns: request.netns, ifName: network.ifName, capabilityArgs: network.capabilityArgs };
      attached.push({ list, rt, result: await cni.addNetworkList(list, rt) });
    }
  } catch (error) {
    // The failing network was rolled back by the library; undo the ones before it.
    for (const done of attached.reverse()) await cni.delNetworkList(done.list, done.rt).catch(() => undefined);
    throw error;
  }
  return attached.map(({ list, rt, result }) => ({ network: list.name, ifName: rt.ifName, result }));
}

async function detach(cni: CNI, request: Request): Promise<void> {
  // DEL in reverse order, every network even when one fails; the cache supplies what ADD used
  // (the result, the port mappings), so nothing but the container's identity is needed here.
  const failures: string[] = [];
  for (const network of networksOf(request).reverse()) {
    try {
      const list = await loadNetworkList(request.confDir, network.name);
      await cni.delNetworkList(list, { containerId: request.containerId, netns: request.netns, ifName: network.ifName });
    } catch (error) {
      failures.push(`${network.name}: ${(error as Error).message}`);
    }
  }
  if (failures.length > 0) throw new Error(`detach failed: ${failures.join('; ')}`);
}

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Request;
const cni = new CNI({ path: request.cniPath, cacheDir: request.cacheDir });
try {
  const reply = request.op === 'attach' ? { results: await attach(cni, request) } : (await detach(cni, request), {});
  process.stdout.write(`${JSON.stringify(reply)}\n`);
} catch (error) {
  const code = isCniError(error) ? ` [${error.code}${error.cniCode === undefined ? '' : ` cniCode=${error.cniCode}`}]` : '';
  process.stderr.write(`${(error as Error).message}${code}\n`);
  process.exitCode = 1;
}
