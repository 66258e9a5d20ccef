// Runs an example inside a throwaway network namespace that stands in for the host.
//
// The example's script is started again with `nsenter --net=<host namespace>`: only the network
// namespace changes, the mount namespace stays this machine's, so namespaces the example creates
// with `ip netns add` in there are visible (and removable) from everywhere.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { constants as osConstants, tmpdir } from 'node:os';
import path from 'node:path';
import { addNetns, delNetns, netnsPath } from './netns.ts';
import { Cleanup } from './system.ts';

export interface HostOptions {
  /** The example's own file (`fileURLToPath(import.meta.url)`), started again inside. */
  script: string;
  /** Used in the names of the namespace and the temp directory. */
  name: string;
  /** An existing namespace to use (and keep) instead of a new one. */
  hostNs?: string | undefined;
  /** An existing directory to use (and keep) instead of a temp one. */
  workdir?: string | undefined;
  /** More arguments for the inner run. */
  args?: readonly string[];
}

/**
 * Creates the host namespace and work directory (unless given), runs
 * `<script> --inside --workdir <dir> --host-netns <name> ...args` in that namespace, removes
 * what it created, and resolves to the inner run's exit code.
 */
export async function runInHostNamespace(options: HostOptions): Promise<number> {
  const cleanup = new Cleanup();
  try {
    const workdir = options.workdir ?? (await mkdtemp(path.join(tmpdir(), `libcni-${options.name}-`)));
    if (!options.workdir) cleanup.add('remove the work directory', () => rm(workdir, { recursive: true, force: true }));
    const hostNs = options.hostNs ?? `lcni-${options.name}-host-${process.pid}`;
    if (!options.hostNs) {
      await addNetns(hostNs);
      cleanup.add(`delete namespace ${hostNs}`, () => delNetns(hostNs));
    }
    console.log(`running in namespace ${hostNs}, which stands in for the host`);
    const args = [`--net=${netnsPath(hostNs)}`, '--', process.execPath, options.script, '--inside', '--workdir', workdir, '--host-netns', hostNs, ...(options.args ?? [])];
    return await new Promise<number>((resolve, reject) => {
      const child = spawn('nsenter', args, { stdio: 'inherit' });
      // On a signal, let the inner run stop and clean up its part first; ours follows when it has
      // exited. (From a terminal it gets Ctrl-C itself too; a repeat does no harm.)
      const forward = (signal: NodeJS.Signals) => child.kill(signal);
      const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
      for (const signal of signals) process.on(signal, forward);
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        for (const name of signals) process.off(name, forward);
        resolve(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 1));
      });
    });
  } finally {
    const failures = await cleanup.run();
    if (failures.length > 0) throw new Error(`cleanup failed: ${failures.join('; ')}`);
  }
}
