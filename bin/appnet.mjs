#!/usr/bin/env node
// appnet command line. The dashboard's commands go to server/cli.ts, all others to
// collector/cli.ts, so neither side loads the other's code. It runs the JavaScript that
// scripts/build-cli.mjs compiled into .build/cli (scripts/ensure-deps.sh builds it, as it
// builds the dashboard); where that is missing or older than the sources (a developer's
// edit), it runs the TypeScript sources through tsx instead, slower to start, and says so.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI_BUILD, cliBuildStale } from '../scripts/cli-build-state.mjs';

const web = new Set(['serve', 'login-url']).has(process.argv[2]);
const why = cliBuildStale();
if (why === null) {
  await import(pathToFileURL(join(CLI_BUILD, web ? 'server.mjs' : 'collector.mjs')).href);
} else {
  process.stderr.write(`appnet: running the TypeScript sources through tsx: the compiled command line is out of date (${why}); \`npm run build:cli\` compiles it\n`);
  const { register } = await import('tsx/esm/api');
  register();
  await import(web ? '../server/cli.ts' : '../collector/cli.ts');
}
