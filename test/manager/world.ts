// A throwaway config directory and plugin directory for NetworkManager tests, with tiny plugins
// written on the fly and event-driven waits on the manager's state.

import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { NetworkManager, type NetworkManagerOptions, type NetworkState } from '../../src/index.js';

export interface World {
  root: string;
  confDir: string;
  binDir: string;
  /** Installs a plugin answering VERSION with `versions`; it logs each run to `log(type)`. */
  plugin(type: string, options?: { versions?: readonly string[]; mode?: number; script?: string }): Promise<string>;
  /** The commands a plugin was run with, in order. */
  runs(type: string): Promise<string[]>;
  /** Writes a config file into the config directory. */
  config(name: string, content: string | object): Promise<string>;
  /** A conflist of one network with the given plugin types. */
  list(name: string, types: readonly string[], version?: string): object;
  /** A manager on this world (closed when the test ends). */
  manager(options?: Partial<NetworkManagerOptions>): Promise<NetworkManager>;
}

export async function createWorld(): Promise<World> {
  const root = await mkdtemp(path.join(tmpdir(), 'cni-manager-'));
  const confDir = path.join(root, 'net.d');
  const binDir = path.join(root, 'bin');
  const logDir = path.join(root, 'log');
  await Promise.all([confDir, binDir, logDir].map((dir) => mkdir(dir)));
  const managers: NetworkManager[] = [];
  onTestFinished(async () => {
    await Promise.all(managers.map((manager) => manager.close()));
    await rm(root, { recursive: true, force: true });
  });

  return {
    root,
    confDir,
    binDir,
    async plugin(type, options = {}) {
      const versions = (options.versions ?? ['0.4.0', '1.0.0']).map((version) => `"${version}"`).join(',');
      const log = path.join(logDir, type);
      const answer = options.script ?? `printf '{"cniVersion":"1.0.0","supportedVersions":[%s]}' '${versions}'`;
      const file = path.join(binDir, type);
      await writeFile(file, `#!/bin/sh\necho "$CNI_COMMAND" >> '${log}'\ncat > /dev/null\n${answer}\n`);
      await chmod(file, options.mode ?? 0o755);
      return file;
    },
    async runs(type) {
      try {
        return (await readFile(path.join(logDir, type), 'utf8')).split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
    async config(name, content) {
      const file = path.join(confDir, name);
      await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
      return file;
    },
    list(name, types, version = '1.0.0') {
      return { cniVersion: version, name, plugins: types.map((type) => ({ type })) };
    },
    async manager(options = {}) {
      const manager = new NetworkManager({ confDir, path: [binDir], debounce: 50, rescanInterval: 0, settle: 0, ...options });
      managers.push(manager);
      await manager.start();
      return manager;
    },
  };
}

/**
 * Resolves with the manager's state once `predicate` holds for it, checking the current state
 * first and then each `change` event. Rejects after `limitMs` with the last state it saw.
 */
export function waitForState(manager: NetworkManager, predicate: (state: NetworkState) => boolean, limitMs = 10_000): Promise<NetworkState> {
  if (predicate(manager.state)) return Promise.resolve(manager.state);
  return new Promise((resolve, reject) => {
    const onChange = (state: NetworkState) => {
      if (!predicate(state)) return;
      clearTimeout(timer);
      manager.off('change', onChange);
      resolve(state);
    };
    const timer = setTimeout(() => {
      manager.off('change', onChange);
      reject(new Error(`state not reached within ${limitMs} ms; last state: ${JSON.stringify(summary(manager.state))}`));
    }, limitMs);
    manager.on('change', onChange);
  });
}

/** The parts of a state tests compare, without the parsed lists. */
export function summary(state: NetworkState) {
  return {
    ready: state.ready,
    reasons: state.reasons,
    defaultNetwork: state.defaultNetwork && { name: state.defaultNetwork.name, file: path.basename(state.defaultNetwork.file) },
    networks: state.networks.map((entry) => `${path.basename(entry.file)}:${entry.name}`),
    skipped: state.skipped.map((entry) => ({ file: path.basename(entry.file), kind: entry.kind })),
    pending: state.pending.map((file) => path.basename(file)),
  };
}

/** Records every state the manager emits from now on. */
export function recordStates(manager: NetworkManager): NetworkState[] {
  const states: NetworkState[] = [];
  manager.on('change', (state) => states.push(state));
  return states;
}
