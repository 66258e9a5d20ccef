// Child process of the crash-safety test: writes cache entries with the built library until it is
// killed or has done `count` writes. Write i goes to key i % keys.length, with content A when
// floor(i / keys.length) is even and B otherwise. Prints "ready" once loaded and "w" before each
// write, so the parent knows how many writes were attempted when it killed this process.
//
//   node cache-writer.mjs <cache module> <cacheDir> <spec.json> <first index> <count>
//   spec.json: { "keys": [{ networkName, containerId, ifName }], "config": "<text>", "a": <result>, "b": <result> }

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [modulePath, cacheDir, specFile, first, count] = process.argv.slice(2);
const { writeCacheEntry } = await import(pathToFileURL(modulePath).href);
const spec = JSON.parse(readFileSync(specFile, 'utf8'));
const config = Buffer.from(spec.config);

process.stdout.write('ready\n');
for (let i = Number(first); i < Number(first) + Number(count); i++) {
  const key = spec.keys[i % spec.keys.length];
  const result = Math.floor(i / spec.keys.length) % 2 === 0 ? spec.a : spec.b;
  process.stdout.write('w\n');
  await writeCacheEntry(cacheDir, { kind: 'cniCacheV1', ...key, config, result });
}
