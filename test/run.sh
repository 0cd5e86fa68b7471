#!/usr/bin/env bash
# `npm test`: installs the dev dependencies when they are missing (a fresh clone), then runs
# the jest suites on both n8n flavours the harness models (test/harness/n8n-emit.ts):
#   1. every suite with n8n 2.x's emit (KADOA_N8N_FLAVOUR=2.x);
#   2. the suites under test/integration/ again with n8n 1.x's emit (KADOA_N8N_FLAVOUR=1.x).
# Extra arguments go to jest in both passes (the second keeps only what is under
# test/integration/). KADOA_TEST_FLAVOURS="2.x" runs the first pass only.
# Ends with one plain summary line over both passes ("jest: N passed, N failed") for CI logs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/jest ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[test] installing dependencies (npm ci)" >&2
  npm ci --ignore-scripts --no-audit --no-fund >&2
fi
mkdir -p build
flavours="${KADOA_TEST_FLAVOURS:-2.x 1.x}"
status=0
results=()
for flavour in $flavours; do
  out="build/jest-results-${flavour}.json"
  rm -f "$out"
  echo "[test] n8n ${flavour} flavour" >&2
  if [ "$flavour" = "2.x" ]; then
    KADOA_N8N_FLAVOUR=2.x node_modules/.bin/jest --config test/jest.config.js --json --outputFile="$out" "$@" || status=$?
  else
    # Last, so it cannot swallow a path argument: ignore every suite outside test/integration/.
    KADOA_N8N_FLAVOUR="$flavour" node_modules/.bin/jest --config test/jest.config.js --json --outputFile="$out" --passWithNoTests "$@" \
      --testPathIgnorePatterns '/node_modules/|<rootDir>/test/(?!integration/)' || status=$?
  fi
  [ -f "$out" ] && results+=("$PWD/$out")
done
if [ "${#results[@]}" -gt 0 ]; then
  node -e '
    let passed = 0, failed = 0, skipped = 0;
    for (const file of process.argv.slice(1)) {
      const r = require(file);
      const flavour = file.match(/jest-results-(.+)\.json$/)[1];
      console.log(`jest (n8n ${flavour}): ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
      passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests;
    }
    console.log(`jest: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "${results[@]}"
fi
exit "$status"
