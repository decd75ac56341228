#!/usr/bin/env bash
# Create the TEST-ONLY TF.js oracle `.oracle-tfjs/` (node_modules with the pure-JavaScript TF.js:
# core + CPU backend + graph-model converter, no native addon, no TensorFlow). It runs the MoveNet
# TF.js graph models under node as the reference for the TF.js -> ONNX converter's parity test
# (dev/tfjs_oracle.js, test/integration/test_tfjs_parity.py). Never used by the node.
# Idempotent: a stamp file records the pinned package list; re-running is a no-op.
#
# Usage: scripts/setup_tfjs_oracle.sh [DIR]   (default: <repo>/.oracle-tfjs)
# Needs: node >= 18 and npm on PATH, and the npm registry reachable (or a warm npm cache).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$repo/.oracle-tfjs}"
version=4.22.0
pkgs=("@tensorflow/tfjs-core@$version" "@tensorflow/tfjs-backend-cpu@$version"
      "@tensorflow/tfjs-converter@$version")
stamp="$dir/.pose3d_oracle_stamp"
want="${pkgs[*]}"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "tfjs oracle up to date: $dir"
  exit 0
fi
for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: $tool not found; install Node.js >= 18 with npm (e.g. apt-get install nodejs npm)" >&2
    exit 1
  fi
done
mkdir -p "$dir"
echo "installing ${pkgs[*]} into $dir (pure JavaScript; install scripts disabled)"
if ! npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --no-save \
    --loglevel=error "${pkgs[@]}"; then
  echo "error: npm install failed; check that the npm registry is reachable" \
       "(npm config get registry) or that the npm cache holds the packages" >&2
  exit 1
fi
(cd "$dir" && node -e "require('@tensorflow/tfjs-backend-cpu'); const tf = require('@tensorflow/tfjs-core'); console.log('tfjs-core', tf.version_core)")
echo "$want" > "$stamp"
echo "tfjs oracle ready: $dir"
