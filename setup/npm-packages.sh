#!/usr/bin/env bash
# Installs the npm packages the tests need: onnxruntime-node for the README's JavaScript snippet
# (samples/onnx-node). Idempotent: quick when the pinned version is already there. Called by setup/setup.sh.
# The package's postinstall script only fetches optional GPU binaries, so it is skipped (--ignore-scripts):
# the CPU binaries come inside the npm package itself.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sample="$(cd "$here/../samples/onnx-node" && pwd)"
log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

if ! command -v npm >/dev/null 2>&1; then
  log "npm is not installed: the JavaScript snippet test will fail. Install Node.js 20 (Debian: apt-get install nodejs npm)."
  exit 0
fi
wanted="$(sed -n 's/.*"onnxruntime-node": *"\([^"]*\)".*/\1/p' "$sample/package.json")"
installed="$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' "$sample/node_modules/onnxruntime-node/package.json" 2>/dev/null || true)"
if [ "$installed" = "$wanted" ]; then
  log "npm packages: onnxruntime-node $wanted present."
  exit 0
fi
log "Installing npm package onnxruntime-node $wanted into samples/onnx-node…"
(cd "$sample" && npm install --ignore-scripts --no-audit --no-fund --no-package-lock --loglevel=error >&2)
