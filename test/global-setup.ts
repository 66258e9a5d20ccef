// Runs once before the suite: makes sure Debian's real CNI plugins are there for the integration
// tests, installing them when running as root on a machine with apt-get (as the demo does).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PACKAGES = ['containernetworking-plugins', 'iptables', 'iproute2'];

export default function setup(): void {
  const missing = !existsSync('/usr/lib/cni/bridge') || !existsSync('/usr/sbin/iptables') && !existsSync('/sbin/iptables');
  if (!missing) return;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    console.warn(`real-plugin tests need: apt-get install -y ${PACKAGES.join(' ')}`);
    return;
  }
  console.log(`installing ${PACKAGES.join(' ')} for the real-plugin tests`);
  const command = `apt-get update -qq && apt-get install -y -qq ${PACKAGES.join(' ')} >/dev/null`;
  const result = spawnSync('sh', ['-c', command], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) throw new Error(`could not install ${PACKAGES.join(' ')}`);
}
