#!/usr/bin/env node
// Thin launcher so the bin exists before `tsc` has built dist/ (npm links bins at install).
import { main } from '../dist/main.js';

main(process.argv).catch((err) => {
  process.stderr.write(`tsam: error: ${err instanceof Error ? err.message : String(err)}\n`);
  if (process.env.TSAM_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
});
