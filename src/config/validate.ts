import { CniErrorCode, InvalidArgumentError } from '../errors.js';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Container IDs and network names: an alphanumeric, then alphanumerics, `_`, `.` or `-`. */
export function validateContainerId(containerId: string): void {
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
  if (ifName === '') bad('a non-empty interface name');
  if (Buffer.byteLength(ifName) > 15) bad('at most 15 bytes long');
  if (ifName === '.' || ifName === '..') bad('a name other than . or ..');
  if (/[/:\s\u0085\0]/u.test(ifName)) bad('free of /, : and whitespace');
}
