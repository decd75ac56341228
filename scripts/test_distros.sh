#!/usr/bin/env bash
# The test run of `make test`: one pytest run per embedded ROS 2 distribution, each under
# scripts/isolated.sh with POSE3D_REQUIRE_DDS=1 (a missing rclpy or isolation fails, never skips),
# then a summary of which distribution ran which tests. Exits non-zero when any run failed; a
# failing run does not stop the next one.
#
#   scripts/test_distros.sh RUN [RUN...] [-- PYTEST_ARGS...]
#
# RUN is NAME:VENV:PATHS, PATHS comma-separated, e.g. (what `make test` passes)
#   kilted:.venv:test  jazzy:.venv-jazzy:test/ros,test/integration
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=()
while [[ $# -gt 0 && "$1" != "--" ]]; do
    runs+=("$1")
    shift
done
[[ $# -gt 0 ]] && shift
[[ ${#runs[@]} -gt 0 ]] || { echo "usage: $0 NAME:VENV:PATHS [...] [-- PYTEST_ARGS...]" >&2; exit 2; }

logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
summary=()
failed=0
for run in "${runs[@]}"; do
    IFS=: read -r name venv paths <<<"$run"
    IFS=, read -r -a test_paths <<<"$paths"
    py="$venv/bin/python"
    rclpy="$("$py" -c 'from importlib.metadata import version; print(version("ros-rclpy"))' 2>/dev/null \
             || echo "missing")"
    label="ROS 2 $name (rclpy $rclpy, $venv): ${test_paths[*]}"
    printf '\n===== %s =====\n' "$label"
    start_s=$SECONDS
    POSE3D_REQUIRE_DDS=1 "$repo/scripts/isolated.sh" "$py" -m pytest "${test_paths[@]}" "$@" \
        2>&1 | tee "$logs/$name.log"
    rc=${PIPESTATUS[0]}
    # pytest's last line: "===== 12 passed, 1 skipped in 80.1s =====" (or why nothing ran)
    result="$(tail -n 1 "$logs/$name.log" | sed -E 's/^=+ *//; s/ *=+$//')"
    summary+=("$(printf '%-8s %s -> %s (exit %d, %d s)' "$name" "${test_paths[*]}" "$result" \
                   "$rc" $((SECONDS - start_s)))")
    [[ $rc -eq 0 ]] || failed=1
done

printf '\n===== tests per ROS 2 distribution =====\n'
printf '%s\n' "${summary[@]}"
exit "$failed"
