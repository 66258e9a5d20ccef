// Runs once before the suite: makes sure Debian's real CNI plugins (integration tests) and the Go
// reference library with its toolchain (differential tests) are there, installing them when
// running as root on a machine with apt-get (as the demo does).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PACKAGES = ['containernetworking-plugins', 'iptables', 'iproute2', 'golang-go', 'golang-github-appc-cni-dev'];

export default function setup(): void {
  const missing =
    !existsSync('/usr/lib/cni/bridge') ||
    (!existsSync('/usr/sbin/iptables') && !existsSync('/sbin/iptables')) ||
    !existsSync('/usr/bin/go') ||
    !existsSync('/usr/share/gocode/src/github.com/containernetworking/cni/libcni/api.go');
  if (!missing) return;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    console.warn(`real-plugin and differential tests need: apt-get install -y ${PACKAGES.join(' ')}`);
    return;
  }
  console.log(`installing ${PACKAGES.join(' ')} for the real-plugin and differential tests`);
  const command = `apt-get update -qq && apt-get install -y -qq ${PACKAGES.join(' ')} >/dev/null`;
  const result = spawnSync('sh', ['-c', command], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) throw new Error(`could not install ${PACKAGES.join(' ')}`);
}
