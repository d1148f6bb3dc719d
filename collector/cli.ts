/**
 * appnet's command line. Each subcommand lives in collector/commands/<name>.ts and
 * registers itself on the program; this file only lists them. A command's module is
 * loaded only when that command runs (or for the overall help), so `appnet top` does
 * not load the collector, the firewall planner or the metrics exporter.
 */
import { Command } from 'commander';

type Register = (program: Command) => void;

// -- commands: one line each, in the order the help lists them --
const COMMANDS: Record<string, () => Promise<Register>> = {
  collect: async () => (await import('./commands/collect')).registerCollect,
  top: async () => (await import('./commands/top')).registerTop,
  export: async () => (await import('./commands/export')).registerExport,
  start: async () => (await import('./commands/start')).registerStart,
  demo: async () => (await import('./commands/demo')).registerDemo,
  uninstall: async () => (await import('./commands/uninstall')).registerUninstall,
  metrics: async () => (await import('./commands/metrics')).registerMetrics,
  install: async () => (await import('./commands/install')).registerInstall,
  nftset: async () => (await import('./commands/nftset')).registerNftSet,
  rules: async () => (await import('./commands/rules')).registerRules,
  run: async () => (await import('./commands/run')).registerRun,
  destinations: async () => (await import('./commands/destinations')).registerDestinations,
};
// -- end of commands --

const program = new Command();
program.name('appnet').description('Per-application network accounting and firewalling for Linux').showHelpAfterError();

async function main(): Promise<void> {
  const named = process.argv[2];
  const wanted = named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
  const registers = await Promise.all(wanted.map((name) => COMMANDS[name]()));
  for (const register of registers) register(program);
  program.addHelpText('after', '\nDashboard commands (run by the web side): serve, login-url — see `appnet serve --help`.');
  await program.parseAsync(process.argv);
}

main().catch((err: unknown) => {
  process.stderr.write(`appnet: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
