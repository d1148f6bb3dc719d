#!/usr/bin/env bash
# The whole test suite: type check, unit tests, real-kernel sandbox tests (root),
# database and query tests, and end-to-end tests in headless Chromium against the
# production build. One node:test run, so one summary at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh test

npx tsc --noEmit -p tsconfig.json

if [ "$(id -u)" != 0 ]; then
  echo "test/run.sh: the real-kernel tests need root (namespaces, nftables): run it with sudo" >&2
  exit 1
fi

mapfile -t files < <(find test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
# Unit and database tests first, then the kernel and browser ones.
ordered=()
for f in "${files[@]}"; do case "$f" in test/privileged/*|test/e2e/*|test/security/*) ;; *) ordered+=("$f");; esac; done
for f in "${files[@]}"; do case "$f" in test/privileged/*) ordered+=("$f");; esac; done
for f in "${files[@]}"; do case "$f" in test/e2e/*|test/security/*) ordered+=("$f");; esac; done

exec node --import tsx --test --test-concurrency=1 "${ordered[@]}"
