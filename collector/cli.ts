/**
 * appnet's command line. Each subcommand lives in collector/commands/<name>.ts and
 * registers itself on the program; this file only lists them.
 */
import { Command } from 'commander';
// -- register commands: one import per line --
import { registerCollect } from './commands/collect';
import { registerTop } from './commands/top';
import { registerExport } from './commands/export';
import { registerStart } from './commands/start';
import { registerDemo } from './commands/demo';
import { registerUninstall } from './commands/uninstall';
import { registerMetrics } from './commands/metrics';
import { registerInstall } from './commands/install';
import { registerNftSet } from './commands/nftset';
import { registerRules } from './commands/rules';
import { registerRun } from './commands/run';
// -- end of imports --

const program = new Command();
program.name('appnet').description('Per-application network accounting and firewalling for Linux').showHelpAfterError();

// -- register commands: one call per line --
registerCollect(program);
registerTop(program);
registerExport(program);
registerStart(program);
registerDemo(program);
registerUninstall(program);
registerMetrics(program);
registerInstall(program);
registerNftSet(program);
registerRules(program);
registerRun(program);
// -- end of calls --

program.addHelpText('after', '\nDashboard commands (run by the web side): serve, login-url — see `appnet serve --help`.');

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`appnet: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
