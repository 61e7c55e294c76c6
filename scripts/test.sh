#!/usr/bin/env bash
# npm test: every test. Unit and HTTP tests (node:test, real SQLite, real signatures); the store contract suite;
# browser tests in real Chromium once e2e/ has them. Node 20's --test finds no .ts files by itself, so the
# files are listed here (the shell expands the globs).
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar nullglob

files=(server/**/*.test.ts credentials/**/*.test.ts policies/**/*.test.ts examples/**/*.test.ts web/src/**/*.test.ts)
if [ ${#files[@]} -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
bash scripts/ensure-system-packages.sh redis-server
echo "== unit, store contract and HTTP tests (${#files[@]} files)"
# --test-force-exit: a file whose tests all ended but that leaves a handle open (seen once in CI, in the admission
# tests, cause not found) must not hang the run until the CI limit; its tests still pass or fail as they did.
# --test-timeout: a test that hangs (one did, waiting for a child process that had died) fails after 10 minutes
# instead of holding CI until its limit.
node --import tsx --test --test-force-exit --test-timeout=600000 --test-concurrency=2 "${files[@]}"

if [ "${1:-}" != "unit" ]; then
  e2e=(e2e/**/*.spec.ts)
  if [ ${#e2e[@]} -gt 0 ]; then
    bash scripts/ensure-system-packages.sh chromium
    echo "== browser tests (Chromium)"
    npx playwright test
  fi
fi
