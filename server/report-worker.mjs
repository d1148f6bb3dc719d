// The report worker when the compiled command line is out of date (a developer's edit): the
// TypeScript source through tsx, as bin/appnet.mjs does. Compiled, .build/cli/report-worker.mjs runs.
import { register } from 'tsx/esm/api';

register();
await import('./report-worker.ts');
