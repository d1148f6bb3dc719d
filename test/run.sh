#!/usr/bin/env bash
# The test suite, one node:test run with one summary and the wall time per folder at the end.
#   test/run.sh        the whole suite (npm test): type check, unit and database tests,
#                      real-kernel sandbox tests (root), end-to-end tests in headless
#                      Chromium against the production build
#   test/run.sh unit   the tests that need no root and no browser (npm run test:unit):
#                      everything outside test/privileged, test/e2e and test/security
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
case "$what" in all|unit) ;; *) echo "usage: test/run.sh [unit]" >&2; exit 2;; esac

mapfile -t files < <(find test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
unit=()
for f in "${files[@]}"; do case "$f" in test/privileged/*|test/e2e/*|test/security/*) ;; *) unit+=("$f");; esac; done

if [ "$what" = unit ]; then
  # Tests spawn bin/appnet.mjs as users do: it must run the compiled command line.
  node scripts/build-cli.mjs --if-stale
  ordered=("${unit[@]}")
  # They share nothing but the read-only tree (each makes its own temp store): one file per core.
  concurrency=$(nproc)
else
  bash scripts/ensure-deps.sh test
  npx tsc --noEmit -p tsconfig.json
  if [ "$(id -u)" != 0 ]; then
    echo "test/run.sh: the real-kernel tests need root (namespaces, nftables): run it with sudo, or run npm run test:unit" >&2
    exit 1
  fi
  # Unit and database tests first, then the kernel and browser ones.
  ordered=("${unit[@]}")
  for f in "${files[@]}"; do case "$f" in test/privileged/*) ordered+=("$f");; esac; done
  for f in "${files[@]}"; do case "$f" in test/e2e/*|test/security/*) ordered+=("$f");; esac; done
  # One file at a time: the kernel tests each build a sandbox, the browser tests a dashboard.
  concurrency=1
fi

# node's own choice of reporter (spec on a terminal, TAP otherwise), then the per-folder times.
if [ -t 1 ]; then reporter=spec; else reporter=tap; fi
exec node --import tsx --test --test-concurrency="$concurrency" \
  --test-reporter="$reporter" --test-reporter-destination=stdout \
  --test-reporter=./test/durations.mjs --test-reporter-destination=stdout \
  "${ordered[@]}"
