#!/usr/bin/env node
import { main } from './main.js';

// A reader that stops early (`cnitool cache ls | head -1`) is not a failure of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await main(process.argv.slice(2));
