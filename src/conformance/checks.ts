import { parseResult } from '../result/parse.js';
import { compareVersions, parseVersion, versionAtLeast } from '../version.js';
import { describeOutcome, succeeded, type Attachment, type Harness, type RawOutcome } from './harness.js';
import { CAPABILITY_SAMPLES, knownIssue } from './known-plugins.js';
import type { CheckName, CheckStatus } from './types.js';

export interface Verdict {
  status: CheckStatus;
  detail?: string | undefined;
}

const pass = (detail?: string): Verdict => ({ status: 'pass', detail });
const fail = (detail: string): Verdict => ({ status: 'fail', detail });
const skip = (detail: string): Verdict => ({ status: 'skipped', detail });

/** What the checks hand each other: the main attachment, made by `add`. */
interface Shared {
  main?: Attachment;
}

const UNKNOWN_ARGS = 'IgnoreUnknown=1;CNCT_UNKNOWN_ARG=yes';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validVersion(value: unknown): value is string {
  if (typeof value !== 'string' || value === '') return false;
  try {
    parseVersion(value);
    return true;
  } catch {
    return false;
  }
}

function addresses(result: unknown): string[] {
  if (!isObject(result) || !Array.isArray(result['ips'])) return [];
  return result['ips'].flatMap((entry) => (isObject(entry) && typeof entry['address'] === 'string' ? [entry['address']] : []));
}

/** What is wrong with an ADD result for a config of `version` (chained after `prevResult`). */
export function resultProblems(value: unknown, version: string, prevResult: unknown): string[] {
  if (!isObject(value)) return ['the result is not a JSON object'];
  const problems: string[] = [];
  const named = value['cniVersion'];
  if (named === undefined || named === '') problems.push('the result has no cniVersion');
  else if (named !== version) problems.push(`the result's cniVersion is ${JSON.stringify(named)}, the config's is "${version}"`);
  try {
    parseResult(value, version);
  } catch (error) {
    problems.push((error as Error).message);
  }
  const interfaces = Array.isArray(value['interfaces']) ? value['interfaces'].length : 0;
  for (const [index, entry] of (Array.isArray(value['ips']) ? value['ips'] : []).entries()) {
    const ref = isObject(entry) ? entry['interface'] : undefined;
    if (typeof ref === 'number' && (ref < 0 || ref >= interfaces)) {
      problems.push(`ips[${index}].interface is ${ref} but there are ${interfaces} interfaces`);
    }
  }
  const kept = new Set(addresses(value));
  const lost = addresses(prevResult).filter((address) => !kept.has(address));
  if (lost.length > 0) problems.push(`the result dropped addresses of prevResult: ${lost.join(', ')}`);
  return problems;
}

function summarize(result: Record<string, unknown>): string {
  const count = (key: string) => (Array.isArray(result[key]) ? result[key].length : 0);
  return `result ${String(result['cniVersion'])}: ${count('interfaces')} interfaces, ${count('ips')} IPs`;
}

// A failed CHECK (or ADD, DEL) that matches a documented bug of a released plugin.
function failure(harness: Harness, command: 'ADD' | 'CHECK' | 'DEL', outcome: RawOutcome, what: string): Verdict {
  const text = describeOutcome(outcome);
  const issue = knownIssue(harness.pluginType, command, `${text}\n${outcome.stderr}`);
  if (issue) return { status: 'known-issue', detail: `${what} ${text} — known issue: ${issue.note}` };
  return fail(`${what} ${text}`);
}

/** How a plugin answered bad input: it must exit non-zero with a CNI error object on stdout. */
function errorShape(outcome: RawOutcome, wantCode?: number): Verdict {
  if (outcome.failure) return fail(outcome.failure);
  if (outcome.exitCode === 0) return fail(`exited 0 instead of failing; stdout: ${outcome.stdout.trim().slice(0, 200) || '(empty)'}`);
  if (!outcome.json) return fail(`failed but its stdout is not a JSON error object: ${describeOutcome(outcome)}`);
  const error = outcome.json.value;
  if (!isObject(error)) return fail(`failed and printed JSON that is not an object: ${outcome.stdout.trim().slice(0, 200)}`);
  const { code, msg, details } = error;
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 0) return fail(`the error object has no numeric code: ${JSON.stringify(error)}`);
  if (typeof msg !== 'string' || msg === '') return fail(`the error object has no msg: ${JSON.stringify(error)}`);
  if (details !== undefined && typeof details !== 'string') return fail(`the error object's details is not a string: ${JSON.stringify(error)}`);
  if (wantCode !== undefined && code !== wantCode) return fail(`error code ${code} (${msg}), expected ${wantCode}`);
  return pass(`code ${code}: ${msg}`);
}

const prevFor = (harness: Harness, attachment: Attachment) => (versionAtLeast(harness.version, '0.4.0') ? attachment.result : undefined);

function notRun(attachment: Attachment): Verdict {
  return fail(`not run: the plugin's ADD ${describeOutcome(attachment.add)}`);
}

/** Every check, by name. Each runs against the same harness, in `CHECK_NAMES` order. */
export function createChecks(harness: Harness): Record<CheckName, () => Promise<Verdict>> {
  const shared: Shared = {};
  const main = (): Attachment | undefined => shared.main;
  let errorNetns: Promise<string> | undefined;
  const badInput = async (stdin: string) =>
    harness.run({ command: 'ADD', stdin, containerId: 'cnct-bad-input', netns: await (errorNetns ??= harness.container()), ifName: harness.ifName });

  return {
    async version() {
      const outcome = await harness.run({ command: 'VERSION', stdin: JSON.stringify({ cniVersion: harness.version }) });
      if (!succeeded(outcome)) return fail(`VERSION ${describeOutcome(outcome)}`);
      const answer = outcome.json?.value;
      if (!isObject(answer)) return fail(`VERSION printed no JSON object: ${outcome.stdout.trim().slice(0, 200) || '(empty)'}`);
      if (!validVersion(answer['cniVersion'])) return fail(`the VERSION answer has no valid cniVersion: ${JSON.stringify(answer)}`);
      const supported = answer['supportedVersions'];
      if (!Array.isArray(supported) || supported.length === 0) return fail(`the VERSION answer has no supportedVersions: ${JSON.stringify(answer)}`);
      const bad = supported.filter((entry) => !validVersion(entry));
      if (bad.length > 0) return fail(`supportedVersions holds invalid versions: ${JSON.stringify(bad)}`);
      const versions = supported as string[];
      if (!versions.some((entry) => compareVersions(entry, harness.version) === 0)) {
        return fail(`supportedVersions (${versions.join(', ')}) does not include the config's version ${harness.version}`);
      }
      return pass(`supports ${versions.join(', ')}`);
    },

    async add() {
      const attachment = await harness.attach();
      shared.main = attachment;
      if (!succeeded(attachment.add)) return fail(`ADD ${describeOutcome(attachment.add)}`);
      if (!attachment.add.json) return fail(`ADD exited 0 but printed no JSON result: ${attachment.add.stdout.trim().slice(0, 200) || '(empty)'}`);
      const problems = resultProblems(attachment.add.json.value, harness.version, attachment.baseResult);
      if (problems.length > 0) return fail(problems.join('; '));
      return pass(summarize(attachment.result!));
    },

    async check() {
      if (!versionAtLeast(harness.version, '0.4.0')) return skip(`CHECK came with 0.4.0; the config is ${harness.version}`);
      const attachment = main();
      if (!attachment?.result) return attachment ? notRun(attachment) : fail('not run: no ADD');
      const outcome = await harness.runFor(attachment, 'CHECK', { prevResult: attachment.result });
      return succeeded(outcome) ? pass() : failure(harness, 'CHECK', outcome, 'CHECK after ADD');
    },

    async del() {
      const attachment = main();
      if (!attachment) return fail('not run: no ADD');
      const outcome = await harness.runFor(attachment, 'DEL', { prevResult: prevFor(harness, attachment) });
      if (!succeeded(outcome)) return fail(`DEL ${describeOutcome(outcome)}`);
      attachment.deleted = true;
      return pass();
    },

    async 'del-twice'() {
      const attachment = main();
      if (!attachment) return fail('not run: no ADD');
      try {
        const outcome = await harness.runFor(attachment, 'DEL', { prevResult: prevFor(harness, attachment) });
        return succeeded(outcome) ? pass() : fail(`the second DEL ${describeOutcome(outcome)}`);
      } finally {
        await harness.detach(attachment);
      }
    },

    async 'del-without-netns'() {
      const attachment = await harness.attach();
      try {
        if (!succeeded(attachment.add)) return notRun(attachment);
        const outcome = await harness.runFor(attachment, 'DEL', { prevResult: prevFor(harness, attachment), netns: '' });
        return succeeded(outcome) ? pass() : fail(`DEL with CNI_NETNS="" ${describeOutcome(outcome)}`);
      } finally {
        await harness.detach(attachment);
      }
    },

    async 'del-without-prevresult'() {
      const attachment = await harness.attach();
      try {
        if (!succeeded(attachment.add)) return notRun(attachment);
        const outcome = await harness.runFor(attachment, 'DEL');
        return succeeded(outcome) ? pass() : fail(`DEL without prevResult ${describeOutcome(outcome)}`);
      } finally {
        await harness.detach(attachment);
      }
    },

    async 'error-malformed-config'() {
      const text = harness.stdin();
      return errorShape(await badInput(text.slice(0, Math.floor(text.length / 2))));
    },

    async 'error-unsupported-version'() {
      return errorShape(await badInput(harness.stdin({ version: '99.99.99' })), 1);
    },

    async 'cni-args-ignore-unknown'() {
      const attachment = await harness.attach({ args: UNKNOWN_ARGS });
      try {
        if (!succeeded(attachment.add)) return fail(`ADD with CNI_ARGS=${UNKNOWN_ARGS} ${describeOutcome(attachment.add)}`);
        const outcome = await harness.runFor(attachment, 'DEL', { prevResult: prevFor(harness, attachment) });
        if (!succeeded(outcome)) return fail(`DEL with CNI_ARGS=${UNKNOWN_ARGS} ${describeOutcome(outcome)}`);
        attachment.deleted = true;
        return pass();
      } finally {
        await harness.detach(attachment);
      }
    },

    async 'capability-args'() {
      const declared = harness.target.capabilities;
      if (declared.length === 0) return skip('the config declares no capabilities');
      const known = declared.filter((name) => name in CAPABILITY_SAMPLES);
      const unknown = declared.filter((name) => !(name in CAPABILITY_SAMPLES));
      const note = unknown.length > 0 ? `; no sample value for ${unknown.join(', ')}` : '';
      if (known.length === 0) return skip(`no sample value for ${unknown.join(', ')}`);
      const capabilityArgs = Object.fromEntries(known.map((name) => [name, CAPABILITY_SAMPLES[name]]));
      const attachment = await harness.attach({ capabilityArgs });
      try {
        if (!succeeded(attachment.add)) return failure(harness, 'ADD', attachment.add, `ADD with runtimeConfig ${known.join(', ')}`);
        const problems = resultProblems(attachment.add.json?.value, harness.version, attachment.baseResult);
        if (problems.length > 0) return fail(`ADD with runtimeConfig: ${problems.join('; ')}`);
        let verdict = pass(`${known.join(', ')}${note}`);
        if (versionAtLeast(harness.version, '0.4.0')) {
          const check = await harness.runFor(attachment, 'CHECK', { prevResult: attachment.result });
          if (!succeeded(check)) verdict = failure(harness, 'CHECK', check, `CHECK with runtimeConfig ${known.join(', ')}`);
          if (verdict.status === 'fail') return verdict;
        }
        const del = await harness.runFor(attachment, 'DEL', { prevResult: prevFor(harness, attachment) });
        if (!succeeded(del)) return fail(`DEL with runtimeConfig ${known.join(', ')} ${describeOutcome(del)}`);
        attachment.deleted = true;
        return verdict;
      } finally {
        await harness.detach(attachment);
      }
    },
  };
}
