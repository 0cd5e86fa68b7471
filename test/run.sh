#!/usr/bin/env bash
# `npm test`: installs the dev dependencies when they are missing (a fresh clone), then runs
# every jest suite (unit, simulator, client and delivery faults). Extra arguments go to jest.
# Ends with one plain summary line ("jest: N passed, N failed") for CI logs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/jest ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[test] installing dependencies (npm ci)" >&2
  npm ci --ignore-scripts --no-audit --no-fund >&2
fi
mkdir -p build
results=build/jest-results.json
rm -f "$results"
status=0
node_modules/.bin/jest --config test/jest.config.js --json --outputFile="$results" "$@" || status=$?
if [ -f "$results" ]; then
  node -e '
    const r = require(process.argv[1]);
    console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
  ' "$PWD/$results"
fi
exit "$status"
