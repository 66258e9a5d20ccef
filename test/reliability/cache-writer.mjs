// Child process of the crash-safety test: writes cache entries with the built library until it is
// killed or has done `count` writes. Write i goes to key i % keys.length, with content A when
// floor(i / keys.length) is even and B otherwise. It prints "ready" once loaded, then waits for a
// line "go <first index> <count>" on stdin (so the parent can start it ahead of time), and prints
// "w" before each write, so the parent knows how many writes were attempted when it killed it.
//
//   node cache-writer.mjs <cache module> <cacheDir> <spec.json>
//   spec.json: { "keys": [{ networkName, containerId, ifName }], "config": "<text>", "a": <result>, "b": <result> }

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [modulePath, cacheDir, specFile] = process.argv.slice(2);
const { writeCacheEntry } = await import(pathToFileURL(modulePath).href);
const spec = JSON.parse(readFileSync(specFile, 'utf8'));
const config = Buffer.from(spec.config);

process.stdout.write('ready\n');
const [first, count] = await new Promise((resolve) => {
  let input = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    input += chunk;
    const match = /^go (\d+) (\d+)\n/.exec(input);
    if (match) resolve([Number(match[1]), Number(match[2])]);
  });
});
process.stdin.pause();
for (let i = first; i < first + count; i++) {
  const key = spec.keys[i % spec.keys.length];
  const result = Math.floor(i / spec.keys.length) % 2 === 0 ? spec.a : spec.b;
  process.stdout.write('w\n');
  await writeCacheEntry(cacheDir, { kind: 'cniCacheV1', ...key, config, result });
}
process.exit(0);
