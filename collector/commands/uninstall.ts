import type { Command } from 'commander';
import { TABLE_FAMILY, TABLE_NAME } from '../../lib/nft/names';
import { nftRunner } from '../nft/exec';
import { Reconciler } from '../reconcile';
import { requireNetAdmin } from '../privileges';
import { bpfPinDir } from '../config';
import { removeBpfCounter } from '../sources/bpf-counters';

/** registerUninstall adds `appnet uninstall`: detaches and unpins the BPF counter, removes our nft table (counters and firewall rules); the store is kept. */
export function registerUninstall(program: Command): void {
  program
    .command('uninstall')
    .description('detach appnet\'s BPF counter and remove its nftables table (all its counters and firewall rules); the database is kept')
    .action(async () => {
      requireNetAdmin();
      const pins = bpfPinDir();
      const bpf = await removeBpfCounter(pins);
      process.stdout.write(bpf === null ? `no BPF counter pinned at ${pins}: nothing to detach\n` : `detached the BPF counter: ${bpf}\n`);
      const reconciler = new Reconciler(nftRunner(), { log: () => undefined });
      if (!(await reconciler.removeTable())) {
        process.stdout.write(`no ${TABLE_FAMILY} ${TABLE_NAME} table: nothing to remove\n`);
        return;
      }
      process.stdout.write(`removed the ${TABLE_FAMILY} ${TABLE_NAME} table; stop the collector too, or it will create it again\n`);
    });
}
