import type { CniArgs } from './args.js';
import type { CallOptions, CNI, RuntimeConf } from './cni.js';
import { parseConf, type NetworkConfigList } from './config/conflist.js';
import { InvalidArgumentError, MultipleErrors, isCniError } from './errors.js';
import type { Result } from './result/schemas.js';

/** One network of a container, as `attachNetworks` takes it. */
export interface NetworkAttachment {
  list: NetworkConfigList;
  ifName: string;
  args?: CniArgs | undefined;
  capabilityArgs?: Readonly<Record<string, unknown>> | undefined;
}

/** The container that networks are attached to. */
export interface Container {
  containerId: string;
  netns?: string | undefined;
}

export interface AttachOptions extends CallOptions {
  /** Attach all networks at once rather than one after another. @default true */
  parallel?: boolean | undefined;
}

/** One attached network and its result. */
export interface AttachedNetwork {
  network: string;
  ifName: string;
  result: Result;
}

function runtimeConf(container: Container, network: Pick<NetworkAttachment, 'ifName' | 'args' | 'capabilityArgs'>): RuntimeConf {
  return { containerId: container.containerId, netns: container.netns, ifName: network.ifName, args: network.args, capabilityArgs: network.capabilityArgs };
}

/**
 * Attaches a container to several networks. When any fails, the ones that succeeded are detached
 * again (in reverse order, with a fresh deadline) and the error says how that went.
 */
export async function attachNetworks(cni: CNI, container: Container, networks: readonly NetworkAttachment[], options: AttachOptions = {}): Promise<AttachedNetwork[]> {
  const seen = new Set<string>();
  for (const network of networks) {
    if (seen.has(network.ifName)) {
      throw new InvalidArgumentError(`Expected a distinct \`ifName\` per network, got ${JSON.stringify(network.ifName)} twice`);
    }
    seen.add(network.ifName);
  }
  const { parallel = true, ...call } = options;
  const attached: (AttachedNetwork & { network: string; entry: NetworkAttachment })[] = [];
  const failures: Error[] = [];
  const attachOne = async (entry: NetworkAttachment) => {
    const result = await cni.addNetworkList(entry.list, runtimeConf(container, entry), call);
    attached.push({ network: entry.list.name, ifName: entry.ifName, result, entry });
  };
  if (parallel) {
    const settled = await Promise.allSettled(networks.map(attachOne));
    for (const outcome of settled) if (outcome.status === 'rejected') failures.push(outcome.reason as Error);
  } else {
    for (const entry of networks) {
      try {
        await attachOne(entry);
      } catch (error) {
        failures.push(error as Error);
        break;
      }
    }
  }
  if (failures.length === 0) {
    const order = new Map(networks.map((entry, index) => [entry, index]));
    return attached.sort((a, b) => order.get(a.entry)! - order.get(b.entry)!).map(({ network, ifName, result }) => ({ network, ifName, result }));
  }

  const rollbackErrors: Error[] = [];
  for (const done of [...attached].reverse()) {
    try {
      await cni.delNetworkList(done.entry.list, runtimeConf(container, done.entry), { timeout: cni.cleanupTimeout });
    } catch (error) {
      rollbackErrors.push(error as Error);
    }
  }
  const error = failures.length === 1 ? failures[0]! : new MultipleErrors(`attaching ${failures.length} networks failed`, failures);
  if (isCniError(error) && attached.length > 0) {
    const names = attached.map((done) => `${done.network}/${done.ifName}`).join(', ');
    if (rollbackErrors.length === 0) {
      error.message += ` (detached the networks that had succeeded: ${names})`;
    } else {
      const rollbackError = rollbackErrors.length === 1 ? rollbackErrors[0]! : new MultipleErrors('detaching failed', rollbackErrors);
      error.rollback = { ok: false, error: rollbackError };
      error.message += ` (detaching the networks that had succeeded failed: ${rollbackError.message})`;
    }
  }
  throw error;
}

/**
 * Detaches a container from several networks. Without `networks`, the attachments are found in
 * the cache and each is deleted with the config bytes cached at ADD time. Every one is tried;
 * all failures are reported together.
 */
export async function detachNetworks(
  cni: CNI,
  container: Container,
  networks?: readonly Pick<NetworkAttachment, 'list' | 'ifName'>[],
  options: CallOptions = {},
): Promise<void> {
  const targets: { list: NetworkConfigList; rt: RuntimeConf }[] = [];
  const errors: Error[] = [];
  if (networks) {
    for (const entry of networks) targets.push({ list: entry.list, rt: runtimeConf(container, entry) });
  } else {
    for (const cached of await cni.getCachedAttachments(container.containerId, options)) {
      try {
        const list = parseConf(cached.config, { file: cached.file });
        targets.push({ list, rt: { containerId: cached.containerId, ifName: cached.ifName, netns: container.netns ?? cached.netns } });
      } catch (error) {
        errors.push(error as Error);
      }
    }
  }
  const settled = await Promise.allSettled(targets.map(({ list, rt }) => cni.delNetworkList(list, rt, options)));
  for (const outcome of settled) if (outcome.status === 'rejected') errors.push(outcome.reason as Error);
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new MultipleErrors(`detaching ${errors.length} networks of container ${container.containerId} failed`, errors);
}
