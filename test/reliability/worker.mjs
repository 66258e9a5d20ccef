// A second runtime process for the reliability tests: loads the built library, prints "ready",
// waits for a "go" line on stdin, then runs its ops one after another and prints one JSON line per
// op. Before each op it appends "want <OP> <container> <ifname> <pid>" to the shared log, so tests
// can see that it was waiting while another process's plugin ran.
//
//   node worker.mjs '{"library", "cni": CNIOptions, "list": "<conflist text>", "log", "ops": [...]}'

import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const request = JSON.parse(process.argv[2]);
const { CNI, parseConfList, isCniError } = await import(pathToFileURL(request.library).href);
const cni = new CNI(request.cni);
const list = parseConfList(request.list);

process.stdout.write(`ready ${process.pid}\n`);
await new Promise((resolve) => {
  let input = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    input += chunk;
    if (input.includes('go\n')) resolve();
  });
});
process.stdin.pause();

for (const step of request.ops) {
  const rt = step.rt ?? {};
  appendFileSync(request.log, `want ${step.op.toUpperCase()} ${rt.containerId ?? '-'} ${rt.ifName ?? '-'} ${process.pid}\n`);
  let line;
  try {
    let value;
    if (step.op === 'add') value = await cni.addNetworkList(list, rt, step.options);
    else if (step.op === 'del') value = await cni.delNetworkList(list, rt, step.options);
    else if (step.op === 'check') value = await cni.checkNetworkList(list, rt, step.options);
    else if (step.op === 'gc') value = await cni.gcNetworkList(list, { validAttachments: step.validAttachments }, step.options);
    else throw new Error(`unknown op ${step.op}`);
    line = { ok: true, value: value ?? null };
  } catch (error) {
    line = { ok: false, code: isCniError(error) ? error.code : undefined, message: String(error?.message ?? error) };
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
process.exit(0);
