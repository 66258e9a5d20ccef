// The demo: attaches a fresh network namespace to a real bridge network with Debian's plugins,
// shows what it got, checks it, detaches it, and removes everything it made.
//
// The plugins run inside a throwaway "host" namespace, so the bridge, the host end of the veth and
// the iptables rules never touch this machine's own network. Each step runs in its own process,
// so the DEL also shows a detach driven only by the result cache.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_DIR, DEMO_NETWORK, PLUGIN_DIRS, REQUIRED_PLUGINS, bold, dim, run, tcpProbe } from './support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const netConfPath = path.resolve(here, '../../fixtures/net.d');
const hostNs = `cnidemo-host-${process.pid}`;
const ctrNs = `cnidemo-ctr-${process.pid}`;
const netnsPath = `/var/run/netns/${ctrNs}`;
let cleaned = false;

function findPluginDir(): string | undefined {
  return PLUGIN_DIRS.find((dir) => REQUIRED_PLUGINS.every((name) => existsSync(path.join(dir, name))));
}

function ensurePlugins(): string {
  let dir = findPluginDir();
  if (dir) return dir;
  const command = 'apt-get update && apt-get install -y containernetworking-plugins iptables iproute2';
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log(`The CNI plugins are not installed; installing them now: ${command}`);
    const result = spawnSync('sh', ['-c', `${command} >/dev/null`], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (result.status !== 0) throw new Error(`installing the plugins failed; run as root: ${command}`);
    dir = findPluginDir();
  }
  if (!dir) throw new Error(`the CNI plugins are missing; install them as root with: ${command}`);
  return dir;
}

function cleanup(): void {
  if (cleaned) return;
  cleaned = true;
  // Deleting the host namespace removes the bridge, the veth and every iptables rule in it.
  for (const ns of [ctrNs, hostNs]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  rmSync(DEMO_DIR, { recursive: true, force: true });
}

function step(stage: string, pluginDir: string): string {
  const inside = path.join(here, 'inside.js');
  const result = spawnSync('ip', ['netns', 'exec', hostNs, process.execPath, inside, stage], {
    encoding: 'utf8',
    env: { ...process.env, NETCONFPATH: netConfPath, CNI_PATH: pluginDir, DEMO_NETNS: netnsPath },
    timeout: 120_000,
  });
  process.stdout.write(result.stdout);
  if (result.status !== 0) throw new Error(`the ${stage} step failed: ${result.stderr.trim() || `exit ${result.status}`}`);
  return result.stdout;
}

async function demo(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the demo creates network namespaces and must run as root');
  const pluginDir = ensurePlugins();
  console.log(bold('libcni demo') + dim(` (plugins from ${pluginDir}, network "${DEMO_NETWORK}" from fixtures/net.d)`));

  run('ip', ['netns', 'add', hostNs]);
  run('ip', ['netns', 'add', ctrNs]);
  run('ip', ['-n', hostNs, 'link', 'set', 'lo', 'up']);
  console.log(dim(`created namespaces ${hostNs} (stands in for the host) and ${ctrNs} (the container)`));

  step('add', pluginDir);
  console.log(`\n${bold('Inside the container namespace')} ${dim(`(ip -n ${ctrNs} addr show eth0; ip -n ${ctrNs} route)`)}`);
  console.log(run('ip', ['-n', ctrNs, '-brief', 'addr', 'show', 'eth0']).trim());
  console.log(run('ip', ['-n', ctrNs, 'route']).trim());

  const address = run('ip', ['-n', ctrNs, '-4', '-o', 'addr', 'show', 'eth0']).match(/inet (\S+)\//)?.[1];
  if (address) {
    console.log(`\n${bold('Traffic')} ${dim('(a TCP echo inside the container, reached from the host namespace)')}`);
    console.log(await tcpProbe(hostNs, ctrNs, address, 8080, 8080));
    console.log(await tcpProbe(hostNs, ctrNs, '10.203.0.1', 18080, 8080, 'through portmap\'s DNAT on the bridge address'));
  }

  step('check', pluginDir);
  step('del', pluginDir);

  const leftovers = [
    ...(existsSync(path.join(DEMO_DIR, 'cache/results')) ? readdirSync(path.join(DEMO_DIR, 'cache/results')) : []),
    ...(existsSync(path.join(DEMO_DIR, `ipam/${DEMO_NETWORK}`))
      ? readdirSync(path.join(DEMO_DIR, `ipam/${DEMO_NETWORK}`)).filter((name) => /^\d/.test(name))
      : []),
  ];
  const dnat = run('ip', ['netns', 'exec', hostNs, 'iptables', '-t', 'nat', '-S']).split('\n').filter((line) => line.startsWith('-N CNI-DN-'));
  console.log(`\n${bold('After DEL')}: cache entries ${leftovers.length}, per-container DNAT chains ${dnat.length}, address reservations released`);
  if (leftovers.length > 0 || dnat.length > 0) throw new Error(`DEL left state behind: ${[...leftovers, ...dnat].join(', ')}`);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    console.error(`\ninterrupted (${signal}); removing the demo's namespaces and files`);
    cleanup();
    process.exit(130);
  });
}

try {
  await demo();
  cleanup();
  console.log(dim('\nremoved the namespaces, the bridge, the iptables rules, the cache and the IPAM files. Done.'));
} catch (error) {
  cleanup();
  console.error(`demo failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
