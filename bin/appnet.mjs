#!/usr/bin/env node
// appnet command line: TypeScript sources run through tsx's loader. The dashboard's
// commands go to server/cli.ts, all others to collector/cli.ts, so neither side loads
// the other's code.
import { register } from 'tsx/esm/api';

register();
const WEB_COMMANDS = new Set(['serve', 'login-url']);
await import(WEB_COMMANDS.has(process.argv[2]) ? '../server/cli.ts' : '../collector/cli.ts');
