// Whether the compiled command line in .build/cli (scripts/build-cli.mjs) is there and newer
// than every file it was built from. Read by bin/appnet.mjs at each start: no dependencies.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** ROOT is the checkout appnet runs from. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** CLI_BUILD is where scripts/build-cli.mjs writes the compiled command line. */
export const CLI_BUILD = join(ROOT, '.build', 'cli');

/** cliBuildStale says why the compiled command line must be rebuilt, or null when it is current. */
export function cliBuildStale() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(CLI_BUILD, 'inputs.json'), 'utf8'));
  } catch {
    return 'it has not been built';
  }
  for (const f of [...manifest.inputs, 'package-lock.json', 'scripts/build-cli.mjs']) {
    let mtime;
    try {
      mtime = statSync(join(ROOT, f)).mtimeMs;
    } catch {
      return `${f} is gone`;
    }
    if (mtime > manifest.builtAt) return `${f} changed`;
  }
  return null;
}
