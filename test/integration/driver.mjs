// Runtime side of the integration tests, run as a child process inside a throwaway "host" network
// namespace (`ip netns exec <host> node driver.mjs`), so the real plugins it starts create their
// bridges, veths and iptables rules there and never in the namespace of the test runner.
//
// Reads one JSON request on stdin and prints one JSON reply on stdout:
//
//   request: {
//     cni: { path: string[], cacheDir: string },
//     config: { file } | { dir, name } | { cachedContainerId },
//     parallel?: boolean,           // run the ops at once instead of one after another
//     ops: [{ op: 'add' | 'check' | 'del' | 'cached', rt: RuntimeConf }]
//   }
//   reply:   { ops: [{ ok: true, value, ms } | { ok: false, error, ms }] }
//
// `cachedContainerId` takes the network config from the cache entry of that container, the way a
// runtime that lost its config would clean up. It imports the built library (dist/).

import { readFileSync } from 'node:fs';
import { CNI, isCniError, listCachedAttachments, loadConfList, loadNetworkList, parseConfList } from '../../dist/index.js';

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
  const request = JSON.parse(readFileSync(0, 'utf8'));
  const cni = new CNI({ path: request.cni.path, cacheDir: request.cni.cacheDir });
  const list = await loadList(request.config, request.cni.cacheDir);

  /** @param {{ op: string, rt: import('../../dist/index.js').RuntimeConf }} step */
  const run = async (step) => {
    const started = performance.now();
    try {
      let value;
      if (step.op === 'add') value = await cni.addNetworkList(list, step.rt);
      else if (step.op === 'check') value = await cni.checkNetworkList(list, step.rt);
      else if (step.op === 'del') value = await cni.delNetworkList(list, step.rt);
      else if (step.op === 'cached') value = await cni.getNetworkListCachedResult(list, step.rt);
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
