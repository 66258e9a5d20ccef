import { InvalidArgumentError } from './errors.js';

/** `CNI_ARGS` as ordered pairs, or an object whose key order is kept. */
export type CniArgs = readonly (readonly [string, string])[] | Readonly<Record<string, string>>;

/**
 * Normalises `CNI_ARGS` to ordered pairs and rejects any pair a plugin could not parse back:
 * plugins split on `;` and then on `=`, and there is no escaping.
 *
 * @throws {InvalidArgumentError} `ERR_CNI_INVALID_ARG`
 */
export function normalizeCniArgs(args: CniArgs | undefined): [string, string][] {
  if (args === undefined || args === null) return [];
  if (typeof args !== 'object') {
    throw new InvalidArgumentError(`Expected CNI_ARGS as [key, value] pairs or an object, got ${typeof args}`);
  }
  const pairs: readonly unknown[] = Array.isArray(args) ? args : Object.entries(args);
  return pairs.map((pair) => {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw new InvalidArgumentError(`Expected CNI_ARGS pairs of two strings, got ${describe(pair)}`);
    }
    const [key, value] = pair as [string, string];
    // NUL cannot be passed in an environment variable at all.
    if (key === '' || /[;=\0]/.test(key)) {
      throw new InvalidArgumentError(`Expected a CNI_ARGS key that is not empty and has no ; = or NUL, got ${JSON.stringify(key)}`);
    }
    if (/[;=\0]/.test(value)) {
      throw new InvalidArgumentError(`Expected a CNI_ARGS value for ${key} without ; = or NUL, got ${JSON.stringify(value)}`);
    }
    return [key, value];
  });
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

/** Joins pairs as `K=V;K2=V2`. */
export function formatCniArgs(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([key, value]) => `${key}=${value}`).join(';');
}

/**
 * Parses `K=V;K2=V2` (as `cnitool` reads `CNI_ARGS`). Every pair needs exactly one `=` and a
 * non-empty key and value.
 *
 * @throws {InvalidArgumentError} `ERR_CNI_INVALID_ARG`
 */
export function parseCniArgs(text: string): [string, string][] {
  if (text === '') return [];
  return text.split(';').map((pair) => {
    const parts = pair.split('=');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new InvalidArgumentError(`invalid CNI_ARGS pair ${JSON.stringify(pair)}`);
    }
    return [parts[0]!, parts[1]!];
  });
}

/** Puts `IgnoreUnknown=1` first unless the pairs already have it. */
export function withIgnoreUnknown(pairs: readonly (readonly [string, string])[]): [string, string][] {
  const copy = pairs.map(([key, value]) => [key, value] as [string, string]);
  return copy.some(([key]) => key === 'IgnoreUnknown') ? copy : [['IgnoreUnknown', '1'], ...copy];
}
