/**
 * The sockets of the collector's network namespace, for the app page's live connections:
 * collector/native/sockdiag lists them over sock_diag (each with its cgroup and, for TCP, its
 * byte counters). It is started at the first listing and kept running while somebody watches.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSockdiag, type SocketEntry } from '../../lib/live';
import { HelperServer } from '../native-helper';

/** Where scripts/ensure-deps.sh builds the lister. */
export const SOCKDIAG_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'out', 'sockdiag');

/** SocketSource lists sockets with a kept-running sockdiag; see the file comment. */
export class SocketSource {
  private helper: HelperServer | null = null;

  constructor(private readonly bin = SOCKDIAG_BIN) {}

  /** available tells whether the lister is built. */
  get available(): boolean {
    return existsSync(this.bin);
  }

  /** read lists every TCP and UDP socket now. */
  async read(): Promise<SocketEntry[]> {
    this.helper ??= new HelperServer(this.bin, ['--serve'], { timeoutMs: 5000 });
    return parseSockdiag(await this.helper.request('list'));
  }

  /** close ends sockdiag (the next read starts it again). */
  close(): void {
    this.helper?.close();
    this.helper = null;
  }
}
