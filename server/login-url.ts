import type { ServeConfig } from './config';
import { loadOrCreateSecret, secretExists } from './secret';
import { loginUrl } from './start';
import { deriveKeys, mintLoginCode } from './tokens';
import { nowSeconds } from '../lib/time';

/** printLoginUrl mints a one-time login code from the secret file (it never creates one) and prints the URL. */
export function printLoginUrl(cfg: ServeConfig): void {
  if (!cfg.envToken && !secretExists(cfg.secretDir)) {
    throw new Error(`no dashboard secret in ${cfg.secretDir}: start the dashboard first (appnet serve), as the same user`);
  }
  const secret = loadOrCreateSecret({ dir: cfg.secretDir, envToken: cfg.envToken });
  process.stdout.write(`appnet: dashboard at ${loginUrl(cfg, mintLoginCode(deriveKeys(secret.secret), nowSeconds()))}\n`);
}
