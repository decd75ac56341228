#!/usr/bin/env bash
# Create the TEST-ONLY MediaPipe oracle environment `.venv-mediapipe` (never the node's venv).
#
# mediapipe==0.10.21 pins numpy<2 and protobuf<5 and pulls jax/jaxlib/opencv-contrib, so it
# lives in its own venv. It also gets scikit-image and matplotlib, whose wheels ship the real
# sample photos (astronaut, camera, grace_hopper) used by the parity test.
# Idempotent: a stamp file records the pinned requirement line; re-running is a no-op.
#
# Usage: scripts/setup_mediapipe_oracle.sh [VENV_DIR]   (default: <repo>/.venv-mediapipe)
# Env:   PYTHON=python3.11 (mediapipe 0.10.21 has wheels for cp39-cp312 only).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-$repo/.venv-mediapipe}"
python="${PYTHON:-python3.11}"
reqs=(mediapipe==0.10.21 scikit-image==0.24.0 matplotlib==3.9.4)
stamp="$venv/.pose3d_oracle_stamp"
want="${reqs[*]}"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "mediapipe oracle venv up to date: $venv"
  exit 0
fi
if ! command -v "$python" >/dev/null 2>&1; then
  echo "error: $python not found; set PYTHON to a CPython 3.9-3.12 interpreter" >&2
  exit 1
fi
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "${reqs[@]}"
"$venv/bin/python" -c "import mediapipe, skimage, matplotlib; print('mediapipe', mediapipe.__version__)"
echo "$want" > "$stamp"
echo "mediapipe oracle venv ready: $venv"
