/**
 * The dashboard's side of the appnet command line (`serve`, `login-url`). bin/appnet.mjs
 * sends these here, everything else to collector/cli.ts: the web server and the
 * privileged collector never load each other's code.
 */
import { Command } from 'commander';
import { registerServe } from './cli-commands';

const program = new Command();
program.name('appnet').description('appnet dashboard commands').showHelpAfterError();
registerServe(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`appnet: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
