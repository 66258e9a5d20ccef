// Runtime side of the integration tests, run as a child process inside a throwaway "host" network
// namespace (`ip netns exec <host> node driver.mjs`), so the real plugins it starts create their
// bridges, veths and iptables rules there and never in the namespace of the test runner.
//
// Reads one JSON request on stdin and prints one JSON reply on stdout:
//
//   request: {
//     cni: { path: string[], cacheDir: string, options?: CNIOptions },
//     config?: { file } | { dir, name } | { cachedContainerId },   // the list of the single-network ops
//     parallel?: boolean,           // run the ops at once instead of one after another
//     ops: [{ op: 'add' | 'check' | 'del' | 'cached', rt: RuntimeConf, call?: CallOptions }
//           | { op: 'gc', valid?: { containerId, ifName }[], call?: CallOptions }
//           | { op: 'attach' | 'detach', container: { containerId, netns },
//               networks?: { file, ifName, args?, capabilityArgs? }[], call?: AttachOptions }],
//     library?: string              // the built library's index.js; default ../../dist/index.js
//   }
//   reply:   { ops: [{ ok: true, value, ms } | { ok: false, error, ms }] }
//
// `cachedContainerId` takes the network config from the cache entry of that container, the way a
// runtime that lost its config would clean up. It imports the built library (dist/ by default).

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const request = JSON.parse(readFileSync(0, 'utf8'));
const { CNI, isCniError, listCachedAttachments, loadConfList, loadNetworkList, parseConfList } = await import(
  request.library ? pathToFileURL(request.library).href : '../../dist/index.js'
);

/** @param {unknown} error */
function describeError(error) {
  if (!(error instanceof Error)) return { name: 'NonError', message: String(error) };
  /** @type {Record<string, unknown>} */
  const out = { name: error.name, message: error.message };
  if (isCniError(error)) {
    out.code = error.code;
    out.cniCode = error.cniCode;
    out.plugin = error.plugin;
    out.network = error.network;
    out.command = error.command;
    if (error.rollback) out.rollback = error.rollback.ok ? { ok: true } : { ok: false, message: error.rollback.error.message };
    if ('msg' in error) out.msg = error.msg;
    if ('exitCode' in error) out.exitCode = error.exitCode;
    if ('stderr' in error) out.stderr = error.stderr;
    if ('errors' in error && Array.isArray(error.errors)) out.errors = error.errors.map(describeError);
  }
  return out;
}

/** @param {{ file?: string, dir?: string, name?: string, cachedContainerId?: string }} config @param {string} cacheDir */
async function loadList(config, cacheDir) {
  if (config.file !== undefined) return loadConfList(config.file);
  if (config.dir !== undefined && config.name !== undefined) return loadNetworkList(config.dir, config.name);
  if (config.cachedContainerId !== undefined) {
    const [attachment, ...more] = await listCachedAttachments(cacheDir, config.cachedContainerId);
    if (!attachment || more.length > 0) throw new Error(`expected one cached attachment of ${config.cachedContainerId}, found ${more.length + (attachment ? 1 : 0)}`);
    return parseConfList(attachment.config);
  }
  throw new Error('request.config needs file, dir + name, or cachedContainerId');
}

async function main() {
  const cni = new CNI({ ...request.cni.options, path: request.cni.path, cacheDir: request.cni.cacheDir });
  const list = request.config ? await loadList(request.config, request.cni.cacheDir) : undefined;
  /** @param {{ file: string, ifName: string, args?: unknown, capabilityArgs?: object }[]} networks */
  const withLists = async (networks) => Promise.all(networks.map(async ({ file, ...rest }) => ({ ...rest, list: await loadConfList(file) })));

  /** @param {any} step */
  const run = async (step) => {
    const started = performance.now();
    const call = step.call ?? {};
    try {
      let value;
      if (step.op === 'add') value = await cni.addNetworkList(list, step.rt, call);
      else if (step.op === 'check') value = await cni.checkNetworkList(list, step.rt, call);
      else if (step.op === 'del') value = await cni.delNetworkList(list, step.rt, call);
      else if (step.op === 'cached') value = await cni.getNetworkListCachedResult(list, step.rt, call);
      else if (step.op === 'gc') value = await cni.gcNetworkList(list, { validAttachments: step.valid }, call);
      else if (step.op === 'attach') value = await cni.attachNetworks(step.container, await withLists(step.networks), call);
      else if (step.op === 'detach') value = await cni.detachNetworks(step.container, step.networks && (await withLists(step.networks)), call);
      else throw new Error(`unknown op ${step.op}`);
      return { ok: true, value: value ?? null, ms: performance.now() - started };
    } catch (error) {
      return { ok: false, error: describeError(error), ms: performance.now() - started };
    }
  };

  let ops = [];
  if (request.parallel) {
    ops = await Promise.all(request.ops.map(run));
  } else {
    for (const step of request.ops) ops.push(await run(step));
  }
  process.stdout.write(JSON.stringify({ ops }));
}

main().catch((error) => {
  process.stdout.write(JSON.stringify({ fatal: describeError(error) }));
  process.exitCode = 1;
});
