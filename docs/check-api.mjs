// Checks that docs/API.md names every export of the built package (values and types), so the
// hand-written overview cannot fall behind the code. Run by `npm run docs` after the build; the
// generated reference in docs/api is made by docs/build.mjs.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(root, 'dist');

// Names a declaration file exports as types: `export interface X`, `export type X =`, and the
// `type X` members of `export { ... }` and `export type { ... }` lists.
async function typeExports(file, seen = new Set()) {
  if (seen.has(file)) return [];
  seen.add(file);
  const text = await readFile(file, 'utf8');
  const names = [...text.matchAll(/^export (?:declare )?(?:interface|type) (\w+)/gm)].map((match) => match[1]);
  for (const [, typeOnly, list] of text.matchAll(/^export (type )?\{([^}]*)\}/gm)) {
    for (const member of list.split(',').map((entry) => entry.trim()).filter(Boolean)) {
      const [, isType, name] = /^(type )?(\w+)/.exec(member) ?? [];
      if (name && (typeOnly || isType)) names.push(name);
    }
  }
  for (const [, from] of text.matchAll(/^export \* from '(.+)';/gm)) {
    names.push(...(await typeExports(path.join(path.dirname(file), from.replace(/\.js$/, '.d.ts')), seen)));
  }
  return names;
}

const values = Object.keys(await import(pathToFileURL(path.join(dist, 'index.js')).href));
const types = await typeExports(path.join(dist, 'index.d.ts'));
const names = [...new Set([...values, ...types])].sort();
const doc = await readFile(path.join(root, 'docs/API.md'), 'utf8');
const missing = names.filter((name) => !new RegExp(`\\b${name}\\b`).test(doc));

if (missing.length > 0) {
  console.error(`docs/API.md does not mention ${missing.length} of ${names.length} exports:\n  ${missing.join('\n  ')}`);
  process.exitCode = 1;
} else {
  console.log(`docs/API.md mentions all ${names.length} exports (${values.length} values, ${names.length - values.length} types only).`);
}
