// A pod sandbox on several networks, the way a Kubernetes runtime does it: one network namespace,
// one interface per network, and the pod's identity in CNI_ARGS.
import { withIgnoreUnknown, type AttachedNetwork, type CNI, type NetworkConfigList } from '../../dist/index.js';

/** The pod as the kubelet names it. */
export interface PodIdentity {
  namespace: string;
  name: string;
  uid: string;
  /** The sandbox ("pause") container's ID; also the CNI container ID. */
  infraContainerId: string;
}

/**
 * The CNI_ARGS Kubernetes runtimes pass: `IgnoreUnknown=1` first, because most plugins reject keys
 * they do not know unless it is set, then the pod's identity.
 */
export function kubernetesArgs(pod: PodIdentity): [string, string][] {
  return withIgnoreUnknown([
    ['K8S_POD_NAMESPACE', pod.namespace],
    ['K8S_POD_NAME', pod.name],
    ['K8S_POD_INFRA_CONTAINER_ID', pod.infraContainerId],
    ['K8S_POD_UID', pod.uid],
  ]);
}

/** One network of the pod and the interface it gets in the sandbox. */
export interface PodNetwork {
  list: NetworkConfigList;
  ifName: string;
  capabilityArgs?: Record<string, unknown>;
}

export interface PodSandbox {
  pod: PodIdentity;
  /** The sandbox's network namespace path. */
  netns: string;
}

const container = (sandbox: PodSandbox) => ({ containerId: sandbox.pod.infraContainerId, netns: sandbox.netns });

/**
 * Attaches the sandbox to every network, each with the pod's CNI_ARGS. When one fails, libcni
 * detaches the ones that had succeeded before it rejects.
 */
export function attachPod(cni: CNI, sandbox: PodSandbox, networks: readonly PodNetwork[]): Promise<AttachedNetwork[]> {
  const args = kubernetesArgs(sandbox.pod);
  return cni.attachNetworks(container(sandbox), networks.map((network) => ({ ...network, args })));
}

/** CHECKs every network of the sandbox (CHECK replays the CNI_ARGS of ADD from the cache). */
export async function checkPod(cni: CNI, sandbox: PodSandbox, networks: readonly PodNetwork[]): Promise<void> {
  for (const network of networks) {
    await cni.checkNetworkList(network.list, { ...container(sandbox), ifName: network.ifName });
  }
}

/**
 * Detaches the sandbox from every network; each is tried even when another fails. DEL gets the
 * CNI_ARGS and capability args of ADD back from libcni's cache.
 */
export function detachPod(cni: CNI, sandbox: PodSandbox, networks: readonly PodNetwork[]): Promise<void> {
  return cni.detachNetworks(container(sandbox), networks);
}
