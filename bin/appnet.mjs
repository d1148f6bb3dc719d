#!/usr/bin/env node
// appnet command line: TypeScript sources run through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../collector/cli.ts');
