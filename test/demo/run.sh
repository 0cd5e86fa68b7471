#!/usr/bin/env bash
# `npm run demo`: the Kadoa Trigger in a real n8n, fed by the local Kadoa simulator.
# On a fresh clone: installs the dev dependencies (npm ci), builds the package and the simulator,
# packs the package, installs Node 24 + n8n 2.41.1 into ~/.cache/n8n-nodes-kadoa (first run
# only, a few minutes), then test/demo/demo.js starts everything and prints the URL and login.
# Ctrl-C stops everything it started. Arguments go to demo.js (--reset: empty n8n folder).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
say() { echo "[demo] $*"; }

# Keep `npm run`'s npm_config_* variables away from the installs below.
for v in $(env | sed -n 's/^\(npm_config_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done

major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
  say "Node.js 20 or newer is needed (this is $(node --version))"
  exit 1
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/kadoa-demo-XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

if [ ! -x node_modules/.bin/tsc ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing dependencies (npm ci, about 30 s)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi

say "building the package (npm run build)"
if ! npm run build >"$TMP/build.log" 2>&1; then
  cat "$TMP/build.log" >&2
  say "FAILED: npm run build"
  exit 1
fi
say "building the Kadoa simulator (npm run build:tools)"
touch "$TMP/before-tools"
if ! npm run build:tools >"$TMP/tools.log" 2>&1; then
  # tsc still emits on type errors elsewhere in the test tree: go on if the simulator came out.
  if [ -z "$(find "$ROOT/build/test/simulator/cli.js" -newer "$TMP/before-tools" 2>/dev/null)" ]; then
    cat "$TMP/tools.log" >&2
    say "FAILED: npm run build:tools"
    exit 1
  fi
  say "(npm run build:tools reported type errors elsewhere in test/; the simulator was built)"
fi
npm pack --ignore-scripts --silent --pack-destination "$TMP" >/dev/null
KADOA_DEMO_TGZ="$(ls "$TMP"/n8n-nodes-kadoa-*.tgz)"
export KADOA_DEMO_TGZ
export KADOA_E2E_SIM="$ROOT/build/test/simulator/cli.js"

# demo.js takes over this process (exec): Ctrl-C and SIGTERM reach it directly; it stops n8n and
# the simulator by pid and removes $TMP (the packed package) itself.
export KADOA_DEMO_TMP="$TMP"
trap - EXIT
exec node test/demo/demo.js "$@"
