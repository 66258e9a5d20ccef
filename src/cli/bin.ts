#!/usr/bin/env node
import { isCniError } from '../errors.js';
import { main, oneLine } from './main.js';

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const code = isCniError(error) ? ` [${error.code}${error.cniCode === undefined ? '' : ` cni=${error.cniCode}`}]` : '';
  process.stderr.write(`cnitool: ${oneLine(error)}${code}\n`);
  process.exitCode = 1;
}
