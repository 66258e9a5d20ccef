import { stat } from 'node:fs/promises';
import type { NetworkConfigList } from '../config/conflist.js';
import { confFiles, danglingLinkMessage, loadConfList } from '../config/load.js';
import { validateNetworkName } from '../config/validate.js';
import { ConfigError } from '../errors.js';
import { findPlugin } from '../invoke/find-plugin.js';
import { compareVersions, effectiveVersion } from '../version.js';
import type { ManagedNetwork, NetworkState, SkippedNetwork } from './state.js';
import type { VersionProbe } from './version-probe.js';

/** What to do when a config file parses but its plugins cannot run it. */
export type UnusablePolicy = 'skip' | 'wait';

export interface ScanInput {
  confDir: string;
  paths: readonly string[];
  defaultNetwork: string | undefined;
  onUnusable: UnusablePolicy;
  /** Milliseconds after its last change during which an unparsable file counts as being written. */
  settle: number;
  probe: VersionProbe;
  /** Lists that parsed in the previous scan, by file: kept while a file is being rewritten. */
  previous: ReadonlyMap<string, NetworkConfigList>;
  signal: AbortSignal;
}

export type ScanOutput = Omit<NetworkState, 'generation' | 'scannedAt' | 'warnings'> & {
  /** Every list that parsed, by file, for the next scan's `previous`. */
  parsed: Map<string, NetworkConfigList>;
  /** When the oldest pending file stops counting as being written (epoch ms). */
  settleAt: number | undefined;
};

type Loaded = { file: string; list: NetworkConfigList } | { file: string; skipped: SkippedNetwork } | { file: string; pending: number };

function withFile(file: string, message: string): string {
  return message.startsWith(`${file}:`) ? message : `${file}: ${message}`;
}

// A file counts as being written while it fails to parse and changed less than `settle` ago, or
// while it changes under the reader.
async function loadOne(file: string, input: ScanInput): Promise<Loaded> {
  let before;
  try {
    before = await stat(file);
  } catch (error) {
    const reason = danglingLinkMessage(file, error) ?? withFile(file, `cannot read: ${(error as Error).message}`);
    return { file, skipped: { file, kind: 'invalid', reason } };
  }
  let list: NetworkConfigList | undefined;
  let failure: ConfigError | undefined;
  try {
    list = await loadConfList(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    failure = error;
  }
  const after = await stat(file).catch(() => undefined);
  const changed = !after || after.mtimeMs !== before.mtimeMs || after.size !== before.size;
  const settleAt = before.mtimeMs + input.settle;
  if (changed || (failure && settleAt > Date.now())) return { file, pending: changed ? Date.now() + input.settle : settleAt };
  if (list) {
    try {
      validateNetworkName(list.name);
    } catch (error) {
      return { file, skipped: { file, network: list.name, kind: 'invalid', reason: withFile(file, (error as Error).message) } };
    }
    return { file, list };
  }
  return { file, skipped: { file, kind: 'invalid', reason: withFile(file, failure!.message) } };
}

async function checkPlugins(file: string, list: NetworkConfigList, input: ScanInput): Promise<{ plugins: string[] } | { skipped: SkippedNetwork }> {
  const version = effectiveVersion(list.cniVersion);
  const skip = (kind: SkippedNetwork['kind'], why: string) => ({ skipped: { file, network: list.name, kind, reason: `${file}: ${why}` } });
  const plugins: string[] = [];
  for (const plugin of list.plugins) {
    let binary: string;
    try {
      binary = await findPlugin(plugin.type, input.paths);
    } catch (error) {
      const note = /\(not executable: .*\)$/.exec((error as Error).message)?.[0];
      return skip('plugin-missing', `plugin "${plugin.type}" missing from CNI path [${input.paths.join(' ')}]${note ? ` ${note}` : ''}`);
    }
    plugins.push(binary);
  }
  const outcomes = await Promise.all(list.plugins.map((plugin, index) => input.probe.probe(plugin.type, plugins[index]!, input.signal)));
  for (const [index, outcome] of outcomes.entries()) {
    const type = list.plugins[index]!.type;
    if (!outcome.ok) return skip('probe-failed', `VERSION probe of plugin "${type}" failed: ${outcome.message}`);
    const supported = outcome.info.supportedVersions;
    if (!supported.some((entry) => sameVersion(entry, version))) {
      return skip('version-unsupported', `plugin "${type}" does not support config version "${version}" (it supports ${supported.join(', ')})`);
    }
  }
  return { plugins };
}

function sameVersion(a: string, b: string): boolean {
  try {
    return compareVersions(a, b) === 0;
  } catch {
    return a === b;
  }
}

async function dirProblem(dir: string): Promise<string | undefined> {
  try {
    if (!(await stat(dir)).isDirectory()) return `config path ${dir} is not a directory`;
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return `no network config in ${dir} (the directory does not exist)`;
    return `cannot read config directory ${dir}: ${(error as Error).message}`;
  }
}

/**
 * Reads the config directory the way container runtimes do (`.conf`, `.conflist` and `.json`
 * interleaved in byte-wise order; the first file of a name wins), checks each network's plugins,
 * and picks the default network: the named one, or the first usable file (`skip`) or the first
 * parseable file, which must then be usable (`wait`).
 */
export async function scanNetworks(input: ScanInput): Promise<ScanOutput> {
  const { confDir } = input;
  const empty = { confDir, defaultNetwork: undefined, networks: [], skipped: [], pending: [], parsed: new Map(), settleAt: undefined };
  const problem = await dirProblem(confDir);
  if (problem) return { ...empty, ready: false, reasons: [problem] };
  let files: string[];
  try {
    files = await confFiles(confDir);
  } catch (error) {
    return { ...empty, ready: false, reasons: [(error as Error).message] };
  }

  const loaded = await Promise.all(files.map((file) => loadOne(file, input)));
  const parsed = new Map<string, NetworkConfigList>();
  const skipped: SkippedNetwork[] = [];
  const pending: string[] = [];
  let settleAt: number | undefined;
  const candidates: { file: string; list: NetworkConfigList }[] = [];
  const firstFile = new Map<string, string>();
  for (const entry of loaded) {
    let list: NetworkConfigList | undefined;
    if ('pending' in entry) {
      pending.push(entry.file);
      settleAt = Math.min(settleAt ?? Infinity, entry.pending);
      list = input.previous.get(entry.file);
    } else if ('skipped' in entry) {
      skipped.push(entry.skipped);
    } else {
      list = entry.list;
    }
    if (!list) continue;
    parsed.set(entry.file, list);
    const first = firstFile.get(list.name);
    if (first !== undefined) {
      const reason = `${entry.file}: network "${list.name}" is already defined by ${first}; this file is ignored`;
      skipped.push({ file: entry.file, network: list.name, kind: 'duplicate', reason });
      continue;
    }
    firstFile.set(list.name, entry.file);
    candidates.push({ file: entry.file, list });
  }

  const checked = await Promise.all(candidates.map((entry) => checkPlugins(entry.file, entry.list, input)));
  const networks: ManagedNetwork[] = [];
  const unusable = new Map<string, SkippedNetwork>();
  for (const [index, outcome] of checked.entries()) {
    const { file, list } = candidates[index]!;
    if ('skipped' in outcome) {
      skipped.push(outcome.skipped);
      unusable.set(file, outcome.skipped);
    } else {
      networks.push({ name: list.name, file, list, plugins: outcome.plugins });
    }
  }
  skipped.sort((a, b) => Buffer.compare(Buffer.from(a.file), Buffer.from(b.file)));

  const pick = pickDefault(input, candidates, networks, unusable, skipped);
  return { confDir, ...pick, networks, skipped, pending, parsed, settleAt };
}

function pickDefault(
  input: ScanInput,
  candidates: readonly { file: string; list: NetworkConfigList }[],
  networks: readonly ManagedNetwork[],
  unusable: ReadonlyMap<string, SkippedNetwork>,
  skipped: readonly SkippedNetwork[],
): { ready: boolean; reasons: string[]; defaultNetwork: ManagedNetwork | undefined } {
  const { confDir } = input;
  const notReady = (summary: string, details: readonly SkippedNetwork[]) => ({
    ready: false,
    reasons: [summary, ...details.map((entry) => entry.reason)],
    defaultNetwork: undefined,
  });
  // The named network, or under `wait` the first parseable one, must itself be usable.
  const wanted =
    input.defaultNetwork !== undefined
      ? candidates.find((entry) => entry.list.name === input.defaultNetwork)
      : input.onUnusable === 'wait'
        ? candidates[0]
        : undefined;
  if (input.defaultNetwork !== undefined && !wanted) {
    const related = skipped.filter((entry) => entry.network === input.defaultNetwork || entry.network === undefined);
    return notReady(`network "${input.defaultNetwork}" not found in ${confDir}`, related);
  }
  if (wanted) {
    const found = networks.find((entry) => entry.file === wanted.file);
    if (found) return { ready: true, reasons: [], defaultNetwork: found };
    return notReady(`default network "${wanted.list.name}" cannot be used yet`, [unusable.get(wanted.file)!]);
  }
  const first = networks[0];
  if (first) return { ready: true, reasons: [], defaultNetwork: first };
  if (skipped.length === 0) return notReady(`no network config in ${confDir}`, []);
  return notReady(`no usable network config in ${confDir}`, skipped);
}
