/** The running systemd, as the collector and `appnet nftset` see it. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseSystemdVersion } from '../lib/nft/nftset';

/** systemdVersion asks systemctl for the running systemd's version; null without systemd. */
export function systemdVersion(): number | null {
  if (!existsSync('/run/systemd/system')) return null;
  try {
    return parseSystemdVersion(execFileSync('systemctl', ['--version'], { encoding: 'utf8', timeout: 5000 }));
  } catch {
    return null;
  }
}
