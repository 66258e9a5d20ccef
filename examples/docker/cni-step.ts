// The CNI part of the Docker example: attaches a container's network namespace to its networks,
// or detaches it. This is what a runtime calls; main.ts runs it as
// `ip netns exec <host ns> node cni-step.ts` so that the bridge, the host end of the veth and the
// iptables rules land in a throwaway namespace instead of on this machine.
//
// stdin:  {"op": "attach" | "detach", "confDir", "cacheDir", "cniPath": [...], "containerId",
//          "netns", "portMappings": [...]}
// stdout: {"results": [{"network", "ifName", "result"}]} for attach, {} for detach.
import { CNI, isCniError, loadNetworkList } from '../../dist/index.js';

interface Request {
  op: 'attach' | 'detach';
  confDir: string;
  cacheDir: string;
  cniPath: string[];
  containerId: string;
  netns: string;
  portMappings: { hostPort: number; containerPort: number; protocol: string }[];
}

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Request;

const cni = new CNI({ path: request.cniPath, cacheDir: request.cacheDir });
const container = { containerId: request.containerId, netns: request.netns };
try {
  if (request.op === 'attach') {
    // Both networks at once; if one fails, the other is detached again before this rejects.
    const results = await cni.attachNetworks(container, [
      { list: await loadNetworkList(request.confDir, 'loopback'), ifName: 'lo' },
      { list: await loadNetworkList(request.confDir, 'docker-example'), ifName: 'eth0', capabilityArgs: { portMappings: request.portMappings } },
    ]);
    process.stdout.write(`${JSON.stringify({ results })}\n`);
  } else {
    // Every network the cache knows for this container, with the config, result and port
    // mappings of ADD time: nothing but the container's identity is needed.
    await cni.detachNetworks(container);
    process.stdout.write('{}\n');
  }
} catch (error) {
  const code = isCniError(error) ? ` [${error.code}${error.cniCode === undefined ? '' : ` cniCode=${error.cniCode}`}]` : '';
  process.stderr.write(`${(error as Error).message}${code}\n`);
  process.exitCode = 1;
}
