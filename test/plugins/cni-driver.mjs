// The runtime side of the plugin tests. The test starts it inside a throwaway "host" namespace
// (`ip netns exec <host> node cni-driver.mjs`), so every bridge, veth, iptables rule and tc qdisc
// the real plugins make lands there. It runs libcni from dist/ on the operations it is given.
//
// stdin:  {"cni": {"path": [...], "cacheDir": "..."}, "ops": [{"op": "add" | "check" | "del" | "cached",
//          "file": "<conflist>", "rt": RuntimeConf}]}
// stdout: {"ops": [{"ok": true, "value": ..., "ms": n} | {"ok": false, "error": {...}, "ms": n}]}
import { CNI, isCniError, loadConfList } from '../../dist/index.js';

/** @param {unknown} error @returns {Record<string, unknown>} */
function describe(error) {
  if (!(error instanceof Error)) return { name: 'NonError', message: String(error) };
  /** @type {Record<string, unknown>} */
  const out = { name: error.name, message: error.message };
  if (isCniError(error)) {
    Object.assign(out, { code: error.code, cniCode: error.cniCode, plugin: error.plugin, network: error.network, command: error.command });
    if ('msg' in error) out.msg = error.msg;
    if ('stderr' in error) out.stderr = error.stderr;
    if (error.rollback) out.rollback = error.rollback.ok ? { ok: true } : { ok: false, message: error.rollback.error.message };
    if ('errors' in error && Array.isArray(error.errors)) out.errors = error.errors.map(describe);
  }
  return out;
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const request = JSON.parse(input);
const cni = new CNI({ path: request.cni.path, cacheDir: request.cni.cacheDir, pluginTimeout: 60_000 });
const ops = [];
for (const step of request.ops) {
  const started = performance.now();
  try {
    const list = await loadConfList(step.file);
    let value;
    if (step.op === 'add') value = await cni.addNetworkList(list, step.rt);
    else if (step.op === 'check') value = await cni.checkNetworkList(list, step.rt);
    else if (step.op === 'del') value = await cni.delNetworkList(list, step.rt);
    else if (step.op === 'cached') value = await cni.getNetworkListCachedResult(list, step.rt);
    else throw new Error(`unknown op ${step.op}`);
    ops.push({ ok: true, value: value ?? null, ms: performance.now() - started });
  } catch (error) {
    ops.push({ ok: false, error: describe(error), ms: performance.now() - started });
  }
}
process.stdout.write(JSON.stringify({ ops }));
