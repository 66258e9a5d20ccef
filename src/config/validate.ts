import { CniErrorCode, InvalidArgumentError } from '../errors.js';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

// Callers from plain JavaScript (or JSON) can pass anything; say so rather than fail later.
function requireString(name: string, value: unknown, cniCode: number): asserts value is string {
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(`Expected \`${name}\` to be a string, got ${value === null ? 'null' : typeof value}`, { cniCode });
  }
}

/** Container IDs and network names: an alphanumeric, then alphanumerics, `_`, `.` or `-`. */
export function validateContainerId(containerId: string): void {
  requireString('containerId', containerId, CniErrorCode.INVALID_ENVIRONMENT_VARIABLES);
  if (containerId === '') {
    throw new InvalidArgumentError('missing containerID', { cniCode: CniErrorCode.UNKNOWN_CONTAINER });
  }
  if (!NAME.test(containerId)) {
    throw new InvalidArgumentError(
      `Expected \`containerId\` to start with a letter or digit followed by letters, digits, _ . or -, got ${JSON.stringify(containerId)}`,
      { cniCode: CniErrorCode.INVALID_ENVIRONMENT_VARIABLES },
    );
  }
}

export function validateNetworkName(name: string): void {
  requireString('name', name, CniErrorCode.INVALID_NETWORK_CONFIG);
  if (name === '') {
    throw new InvalidArgumentError('missing network name', { cniCode: CniErrorCode.INVALID_NETWORK_CONFIG });
  }
  if (!NAME.test(name)) {
    throw new InvalidArgumentError(
      `Expected network name to start with a letter or digit followed by letters, digits, _ . or -, got ${JSON.stringify(name)}`,
      { cniCode: CniErrorCode.INVALID_NETWORK_CONFIG, network: name },
    );
  }
}

/** Linux interface names: 1-15 bytes, not `.` or `..`, no `/`, `:` or whitespace. */
export function validateInterfaceName(ifName: string): void {
  const bad = (why: string): never => {
    throw new InvalidArgumentError(`Expected \`ifName\` to be ${why}, got ${JSON.stringify(ifName)}`, {
      cniCode: CniErrorCode.INVALID_ENVIRONMENT_VARIABLES,
    });
  };
  requireString('ifName', ifName, CniErrorCode.INVALID_ENVIRONMENT_VARIABLES);
  if (ifName === '') bad('a non-empty interface name');
  if (Buffer.byteLength(ifName) > 15) bad('at most 15 bytes long');
  if (ifName === '.' || ifName === '..') bad('a name other than . or ..');
  if (/[/:\s\u0085\0]/u.test(ifName)) bad('free of /, : and whitespace');
}

/**
 * The netns path goes to plugins as `CNI_NETNS` unchanged (it may be empty for DEL); only what no
 * environment variable can carry is refused: a non-string or a NUL byte.
 */
export function validateNetns(netns: string | undefined): void {
  if (netns === undefined) return;
  requireString('netns', netns, CniErrorCode.INVALID_ENVIRONMENT_VARIABLES);
  if (netns.includes('\0')) {
    throw new InvalidArgumentError(`Expected \`netns\` to be a path without NUL bytes, got ${JSON.stringify(netns)}`, {
      cniCode: CniErrorCode.INVALID_NETNS,
    });
  }
}

/**
 * Capability arguments must be a plain object (or absent) whose values can be written as JSON:
 * they go into plugins' `runtimeConfig` and into the cache.
 */
export function validateCapabilityArgs(value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError(`Expected \`capabilityArgs\` to be an object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  try {
    JSON.stringify(value);
  } catch (error) {
    throw new InvalidArgumentError(`Expected \`capabilityArgs\` to be JSON-serialisable: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
}

// File names are at most 255 bytes. The cache file is `<network>-<containerId>-<ifName>`, and its
// temporary twin adds a dot, the writer's PID and a random suffix (up to 33 bytes more).
const MAX_CACHE_NAME_BYTES = 255 - 33;

/** Network name, container ID and interface name must fit in one cache file name. */
export function validateCacheFileName(network: string, containerId: string, ifName: string): void {
  const bytes = Buffer.byteLength(`${network}-${containerId}-${ifName}`);
  if (bytes > MAX_CACHE_NAME_BYTES) {
    throw new InvalidArgumentError(
      `Expected network name, container ID and interface name to total at most ${MAX_CACHE_NAME_BYTES - 2} bytes (they name the cache file), got ${bytes - 2}`,
      { cniCode: CniErrorCode.INVALID_ENVIRONMENT_VARIABLES, network },
    );
  }
}
