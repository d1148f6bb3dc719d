#!/usr/bin/env node
// Compiles the command line (collector/cli.ts and server/cli.ts) to JavaScript in .build/cli,
// so `appnet` starts without transpiling TypeScript: one ES module per side, and what a
// command loads only when it runs (`await import()`) in chunks of its own. Packages are
// bundled too (one file to read instead of hundreds), except those that must stay where
// they are: native addons and the Next.js runtime the dashboard loads from node_modules.
//
//   node scripts/build-cli.mjs             build
//   node scripts/build-cli.mjs --if-stale  build only when a source is newer than the build
//
// Code that finds files next to itself (db/migrations, collector/native/out/nftdump,
// bin/appnet.mjs, …) keeps working: each module's import.meta.url is rewritten to the URL
// of its source file, found from the bundle's own location at run time, so the tree may move.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CLI_BUILD as OUT, cliBuildStale, ROOT } from './cli-build-state.mjs';

// report-worker: the dashboard's report thread (server/report-pool.ts starts it from here).
const ENTRIES = { collector: 'collector/cli.ts', server: 'server/cli.ts', 'report-worker': 'server/report-worker.ts' };
const EXTERNAL = ['better-sqlite3', 'next', 'react', 'react-dom', 'tsx', 'esbuild', 'typescript', 'playwright-core'];

/** sourceUrls rewrites import.meta.url in our own sources to the source file's URL, relative to the output directory. */
const sourceUrls = {
  name: 'source-urls',
  setup(b) {
    b.onLoad({ filter: /\.(ts|tsx|mjs)$/ }, (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (/import\.meta\.(dirname|filename)/.test(text)) {
        return { errors: [{ text: `${relative(ROOT, args.path)}: use fileURLToPath(import.meta.url) (import.meta.dirname is not rewritten for the bundle)` }] };
      }
      const rel = JSON.stringify(relative(OUT, args.path));
      return { contents: text.replaceAll('import.meta.url', `new URL(${rel}, import.meta.url).href`), loader: args.path.endsWith('.mjs') ? 'js' : args.path.endsWith('x') ? 'tsx' : 'ts' };
    });
  },
};

async function main() {
  if (process.argv.includes('--if-stale')) {
    const why = cliBuildStale();
    if (why === null) return;
    process.stderr.write(`appnet: compiling the command line (${why})\n`);
  }
  const builtAt = Date.now();
  const tmp = `${OUT}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES,
    outdir: tmp,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    external: EXTERNAL,
    // Bundled CommonJS packages call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __appnetRequire } from 'node:module'; const require = __appnetRequire(import.meta.url);" },
    plugins: [sourceUrls],
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/')).sort();
  writeFileSync(join(tmp, 'inputs.json'), `${JSON.stringify({ builtAt, inputs }, null, 1)}\n`);
  // Swap in the new build whole: a command starting meanwhile sees the old one or the new one.
  const old = `${OUT}.old-${process.pid}`;
  if (existsSync(OUT)) renameSync(OUT, old);
  renameSync(tmp, OUT);
  rmSync(old, { recursive: true, force: true });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`appnet: could not compile the command line: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
