// A throw-away world for the user cases (docs/CONFORMANCE.md, second part): plugins are tiny sh
// scripts written by each test, `$TMP` is where they log, and everything is removed afterwards.

import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { CNI, cacheFilePath, type CNIOptions } from '../../src/index.js';

export interface CaseWorld {
  root: string;
  /** The plugin directory (the CNI path). */
  bin: string;
  confDir: string;
  cacheDir: string;
  /** `$TMP` of the plugins. */
  tmp: string;
  /** Writes an executable sh plugin; `body` follows `#!/bin/sh`. */
  plugin(name: string, body: string, dir?: string): Promise<string>;
  /** Writes a file into the config directory. */
  config(name: string, content: string | object): Promise<string>;
  /** A CNI instance on this world's path and cache, with `$TMP` set for the plugins. */
  cni(options?: CNIOptions): CNI;
  /** The lines of `$TMP/log`, or [] before anything was logged. */
  log(): Promise<string[]>;
  /** A file under `$TMP`, parsed as JSON; undefined when it does not exist. */
  json(name: string): Promise<Record<string, unknown> | undefined>;
  /** Where the cache entry of an attachment lives. */
  cacheFile(networkName: string, containerId: string, ifName: string): string;
  /** The names in `<cacheDir>/results`. */
  cacheNames(): Promise<string[]>;
}

// PIDs our plugins wrote to `$TMP/*.pid`: killed at the end only while they still run our scripts.
async function killLeftovers(tmp: string, root: string): Promise<void> {
  const names = await readdir(tmp).catch(() => [] as string[]);
  for (const name of names.filter((entry) => entry.endsWith('.pid'))) {
    for (const word of (await readFile(path.join(tmp, name), 'utf8').catch(() => '')).split(/\s+/)) {
      const pid = Number(word);
      if (!(pid > 0)) continue;
      const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (!command.includes(root) && !command.startsWith('sleep\u0000')) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
}

export async function caseWorld(): Promise<CaseWorld> {
  const root = await mkdtemp(path.join(tmpdir(), 'cni-case-'));
  const [bin, confDir, cacheDir, tmp] = ['bin', 'net.d', 'cache', 'tmp'].map((name) => path.join(root, name)) as [string, string, string, string];
  await Promise.all([bin, confDir, tmp].map((dir) => mkdir(dir)));
  onTestFinished(async () => {
    await killLeftovers(tmp, root);
    await rm(root, { recursive: true, force: true });
  });
  return {
    root,
    bin,
    confDir,
    cacheDir,
    tmp,
    async plugin(name, body, dir = bin) {
      const file = path.join(dir, name);
      await writeFile(file, `#!/bin/sh\n${body.trim()}\n`);
      await chmod(file, 0o755);
      return file;
    },
    async config(name, content) {
      const file = path.join(confDir, name);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
      return file;
    },
    cni(options = {}) {
      return new CNI({ path: [bin], cacheDir, ...options, extraEnv: { TMP: tmp, ...options.extraEnv } });
    },
    async log() {
      const text = await readFile(path.join(tmp, 'log'), 'utf8').catch(() => '');
      return text.split('\n').filter((line) => line !== '');
    },
    async json(name) {
      const text = await readFile(path.join(tmp, name), 'utf8').catch(() => undefined);
      return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
    },
    cacheFile: (networkName, containerId, ifName) => cacheFilePath(cacheDir, { networkName, containerId, ifName }),
    cacheNames: async () => (await readdir(path.join(cacheDir, 'results')).catch(() => [] as string[])).sort(),
  };
}

/** Every spec version, for plugins that answer VERSION. */
export const ALL = '["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]';

/**
 * The body of a well-behaved plugin: answers VERSION with every version, logs `<COMMAND>` (and
 * saves its stdin as `$TMP/<name>-<COMMAND>.json`), prints `addResult` on ADD.
 */
export function okBody(name: string, addResult: string | object = { cniVersion: '1.0.0', ips: [{ address: '10.88.0.2/16' }] }): string {
  const result = typeof addResult === 'string' ? addResult : JSON.stringify(addResult);
  return `
input=$(cat)
if [ "$CNI_COMMAND" = VERSION ]; then echo '{"cniVersion":"1.1.0","supportedVersions":${ALL}}'; exit 0; fi
echo "$CNI_COMMAND" >> "$TMP/log"
printf '%s' "$input" > "$TMP/${name}-$CNI_COMMAND.json"
if [ "$CNI_COMMAND" = ADD ]; then echo '${result}'; fi
exit 0`;
}

/** The rejection of a promise that must reject. */
export async function rejectionOf<E = Error & Record<string, unknown>>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected the call to reject, but it resolved');
}

export const exists = (file: string) =>
  readFile(file).then(
    () => true,
    () => false,
  );
