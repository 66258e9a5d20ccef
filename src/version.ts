import { VersionError } from './errors.js';

/** Every result and config version of the CNI spec, oldest first. */
export const ALL_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

/** The newest spec version this library speaks. */
export const CURRENT_VERSION = '1.1.0';

export type Version = [major: number, minor: number, patch: number];

/**
 * Parses a CNI version the way the spec's reference does: "" is 0.1.0, one to three
 * dot-separated integers, missing parts are 0.
 */
export function parseVersion(text: string): Version {
  if (text === '') return [0, 1, 0];
  const parts = text.split('.');
  if (parts.length > 3 || !parts.every((part) => /^\d+$/.test(part))) {
    throw new VersionError(`invalid version "${text}": expected up to three dot-separated integers`);
  }
  const [major = 0, minor = 0, patch = 0] = parts.map(Number);
  return [major, minor, patch];
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

export function versionAtLeast(version: string, minimum: string): boolean {
  return compareVersions(version, minimum) >= 0;
}

/** The version a config or result means when it names none. */
export function effectiveVersion(version: string | undefined): string {
  return version === undefined || version === '' ? '0.1.0' : version;
}
