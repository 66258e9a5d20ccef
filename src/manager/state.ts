import { createHash } from 'node:crypto';
import type { NetworkConfigList } from '../config/conflist.js';

/** A network the manager found usable: it parsed, and every plugin is installed and speaks its version. */
export interface ManagedNetwork {
  name: string;
  /** The config file it came from. */
  file: string;
  list: NetworkConfigList;
  /** The plugin binaries, in list order. */
  plugins: string[];
}

/** Why a config file gives no usable network. */
export type SkipKind = 'invalid' | 'duplicate' | 'plugin-missing' | 'version-unsupported' | 'probe-failed';

export interface SkippedNetwork {
  file: string;
  /** The network name, when the file parsed. */
  network?: string | undefined;
  kind: SkipKind;
  /** One line naming the file and the cause. */
  reason: string;
}

/** Whether the runtime can attach containers now, and if not, why. */
export interface NetworkReadiness {
  ready: boolean;
  /** Empty when ready; otherwise one line per cause, the first being the summary. */
  reasons: string[];
}

/** Everything the manager knows after one scan of the config directory and the plugin directories. */
export interface NetworkState extends NetworkReadiness {
  confDir: string;
  /** The network containers get when the runtime names none. */
  defaultNetwork: ManagedNetwork | undefined;
  /** Usable networks in byte-wise order of their files; a name appears once. */
  networks: ManagedNetwork[];
  skipped: SkippedNetwork[];
  /** Files that do not parse yet and changed too recently to be called broken (being written). */
  pending: string[];
  /** Watches that could not be set up (the periodic rescan still covers those directories). */
  warnings: string[];
  /** Counts the states that differed from the one before; 0 before the first scan. */
  generation: number;
  scannedAt: Date | undefined;
}

/** A digest of everything a listener could act on, to tell a real change from a repeat. */
export function fingerprint(state: Omit<NetworkState, 'generation' | 'scannedAt'>): string {
  const hash = createHash('sha256');
  const network = (entry: ManagedNetwork | undefined) =>
    entry ? [entry.file, entry.name, entry.plugins, createHash('sha256').update(entry.list.bytes).digest('hex')] : null;
  hash.update(
    JSON.stringify([
      state.confDir,
      state.ready,
      state.reasons,
      network(state.defaultNetwork),
      state.networks.map(network),
      state.skipped.map((entry) => [entry.file, entry.kind, entry.reason]),
      state.pending,
      state.warnings,
    ]),
  );
  return hash.digest('hex');
}
