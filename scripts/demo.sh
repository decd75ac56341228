#!/usr/bin/env bash
# make demo: play a sample stream into pose3d_node over real DDS and record what comes out.
#
#   scripts/isolated.sh scripts/demo.sh        (make demo does exactly this, after make setup)
#
# Three separate processes talk over DDS: pose3d_node, pose3d_play (the street clip, then the
# COCO photos) and dev.record_demo, which writes to out/demo/:
#   debug_*.png        annotated debug images (2D skeletons, ids, fps) as published by the node
#   skeletons_3d.png   matplotlib 3D view of the skeletons rebuilt from /tf alone
#   poses.json         those 3D joints (camera optical frame, m) per stamp and body id
#   node.log, play.log, record.log
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
venv="${POSE3D_VENV:-$repo/.venv}"
py="$venv/bin/python"
shared="${POSE3D_SHARED:-$repo/../shared}"
clip="$shared/data/real_images/video/street_walk_5frames.mp4"
photos="$shared/data/real_images/coco"
out="${POSE3D_DEMO_OUT:-$repo/out/demo}"

"$py" -c "from dev.dds_env import assert_isolated; assert_isolated()" \
    || { echo "demo.sh: run it through scripts/isolated.sh (make demo does)" >&2; exit 2; }
for f in "$clip" "$photos"; do
    [[ -e "$f" ]] || { echo "demo.sh: sample data missing: $f (POSE3D_SHARED points at ../shared)" >&2; exit 2; }
done

rm -rf "$out"
mkdir -p "$out"
t0=$(date +%s)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill -INT "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

remap=(-r image:=/camera/image -r camera_info:=/camera/camera_info)
# the demo stream ends on purpose and the recorder stops 5 s after the last message: a no-input
# warning after 5 s of silence (the default) would race it, so the demo allows 30 s
"$venv/bin/pose3d_node" --ros-args --params-file config/pose3d.yaml "${remap[@]}" \
    -p detect_every_n:=3 -p no_input_warn_s:=30.0 >"$out/node.log" 2>&1 &
node_pid=$!
pids+=("$node_pid")
"$py" -m dev.record_demo --out "$out" --idle-s 5 --max-s 200 >"$out/record.log" 2>&1 &
rec_pid=$!
pids+=("$rec_pid")

play=("$venv/bin/pose3d_play" --image-topic /camera/image --camera-info-topic /camera/camera_info)
# the node subscribes only once its models are loaded: waiting for 1 subscriber waits for it
echo "demo: street clip (5 frames, played twice at 2 fps), then the COCO photos (1 fps)"
"${play[@]}" "$clip" --rate 2 --count 10 --wait-subscribers 1 --wait-timeout-s 90 >"$out/play.log" 2>&1
"${play[@]}" "$photos" --rate 1 >>"$out/play.log" 2>&1

wait "$rec_pid" || { echo "demo.sh: the recorder got no skeletons/debug images; see $out/*.log" >&2; tail -20 "$out/node.log" >&2; exit 1; }
cat "$out/record.log"
kill -0 "$node_pid" 2>/dev/null || { echo "demo.sh: pose3d_node died; see $out/node.log" >&2; exit 1; }
echo "demo: done in $(( $(date +%s) - t0 )) s; outputs in $out:"
ls "$out"
