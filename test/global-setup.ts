// Runs once before the suite: makes sure what the real-plugin, differential and container tests
// use is installed (Debian's CNI plugins, the Go reference library and toolchain, Docker, runc,
// busybox, dnsmasq), installing what is missing when running as root on a machine with apt-get.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// Each package, with files that show it is installed.
const PACKAGES: [name: string, files: string[]][] = [
  ['containernetworking-plugins', ['/usr/lib/cni/bridge']],
  ['iptables', ['/usr/sbin/iptables', '/sbin/iptables']],
  ['iproute2', ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip']],
  ['golang-go', ['/usr/bin/go']],
  ['golang-github-appc-cni-dev', ['/usr/share/gocode/src/github.com/containernetworking/cni/libcni/api.go']],
  ['docker.io', ['/usr/bin/dockerd', '/usr/sbin/dockerd']],
  ['runc', ['/usr/sbin/runc', '/usr/bin/runc']],
  ['busybox-static', ['/bin/busybox', '/usr/bin/busybox']],
  ['dnsmasq-base', ['/usr/sbin/dnsmasq']],
];

// Installing docker.io must not start a system Docker daemon: with its default flags it rewrites
// the host's firewall. A policy-rc.d that refuses every service start prevents that.
const INSTALL = (names: string) => `
set -e
policy=/usr/sbin/policy-rc.d
had_policy=0; [ -e "$policy" ] && had_policy=1
[ "$had_policy" = 1 ] || { printf '#!/bin/sh\\nexit 101\\n' > "$policy"; chmod +x "$policy"; }
trap '[ "$had_policy" = 1 ] || rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq ${names} >/dev/null
`;

export default function setup(): void {
  const missing = PACKAGES.filter(([, files]) => !files.some((file) => existsSync(file))).map(([name]) => name);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    console.warn(`some tests need: apt-get install -y ${missing.join(' ')}`);
    return;
  }
  console.log(`installing ${missing.join(' ')} for the real-plugin, differential and container tests`);
  const result = spawnSync('sh', ['-c', INSTALL(missing.join(' '))], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) throw new Error(`could not install ${missing.join(' ')}`);
}
