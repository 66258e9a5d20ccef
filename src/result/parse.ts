import { ResultError } from '../errors.js';
import { effectiveVersion } from '../version.js';
import { isKnownResultVersion } from './convert.js';
import { Result020Schema, Result040Schema, Result100Schema, type Result } from './schemas.js';

function schemaFor(version: string) {
  if (version === '0.1.0' || version === '0.2.0') return Result020Schema;
  if (version === '1.0.0' || version === '1.1.0') return Result100Schema;
  return Result040Schema;
}

/**
 * Reads a result object. A result that names no version (missing, empty or not a string) is read
 * in `defaultVersion`, the version of the config that produced it, as runtimes have long done
 * (the spec's literal reading, 0.1.0, breaks plugins that omit the field).
 *
 * @throws {ResultError} `ERR_CNI_RESULT` for an unknown version or a malformed result.
 */
export function parseResult(value: unknown, defaultVersion: string): Result {
  if (value === null) value = {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ResultError(`expected a result object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  const object = value as Record<string, unknown>;
  const named = object['cniVersion'];
  const version = typeof named === 'string' && named !== '' ? named : effectiveVersion(defaultVersion);
  if (!isKnownResultVersion(version)) throw new ResultError(`unsupported CNI result version "${version}"`);
  const parsed = schemaFor(version).safeParse({ ...object, cniVersion: version });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new ResultError(`invalid ${version} result: ${issue.message}${at}`, { cause: parsed.error });
  }
  // A result travels on as JSON (the next plugin's prevResult, the cache): one that cannot be
  // written back, e.g. nested too deeply for JSON.stringify, is refused here with our error.
  try {
    JSON.stringify(parsed.data);
  } catch (error) {
    throw new ResultError(`invalid ${version} result: cannot be written as JSON (${(error as Error).message})`, { cause: error });
  }
  return parsed.data as Result;
}
