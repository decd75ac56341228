#!/usr/bin/env bash
# Create / update .venv: the embedded ROS 2 (PyPI wheels) runtime for pose3d_ros.
#
#   scripts/setup.sh                              (what `make setup` runs: Kilted -> .venv)
#   POSE3D_ROS_DISTRO=jazzy scripts/setup.sh      (`make setup DISTRO=jazzy`: Jazzy -> .venv-jazzy)
#
# 1. the venv with the exact pins of the distribution's requirements (Kilted: requirements.txt +
#    requirements/constraints.txt; Jazzy: requirements/jazzy.txt + requirements/constraints-jazzy.txt;
#    both include requirements/common.txt);
# 2. builds into the venv, with that distribution's rosidl toolchain, the interface packages
#    PyPI lacks (interfaces/tf2_msgs, interfaces/hri_msgs), unless the environment already
#    provides them (real ROS);
# 3. installs pose3d_ros itself (editable) so .venv/bin/pose3d_* exist;
# 4. fetches/converts the models with pose3d_models when that tool is available.
# Idempotent: a stamp keyed on the inputs' hash makes a second run a no-op.
# Nothing has to be sourced afterwards: run .venv/bin/<tool> directly.
#
# Environment knobs: PYTHON (interpreter to build the venv from, default python3.11),
# POSE3D_ROS_DISTRO (kilted (default) or jazzy), POSE3D_VENV (default <repo>/.venv for Kilted,
# <repo>/.venv-<distro> otherwise), POSE3D_SKIP_MODELS=1 (skip step 4).
set -euo pipefail

start_ns=$(date +%s%N)
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
distro="${POSE3D_ROS_DISTRO:-kilted}"
python_bin="${PYTHON:-python3.11}"

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# The distribution's top-level requirements and its full lock (make lock).
case "$distro" in
    kilted) reqs=requirements.txt; lock=requirements/constraints.txt; default_venv="$repo/.venv" ;;
    jazzy) reqs=requirements/jazzy.txt; lock=requirements/constraints-jazzy.txt
           default_venv="$repo/.venv-jazzy" ;;
    *) die "POSE3D_ROS_DISTRO=$distro: the embedded runtime exists for kilted (default) and jazzy" ;;
esac
venv="${POSE3D_VENV:-$default_venv}"
stamp="$venv/.pose3d_setup_stamp"

finish() {
    local elapsed_ms size
    elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
    size=$(du -sh "$venv" 2>/dev/null | cut -f1 || echo "?")
    say "$1 in $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s; $venv is $size"
}

# Quiet pip, minus the harmless warnings about find-links/index locations that do not exist.
pip_install() {
    "$venv/bin/python" -m pip install --disable-pip-version-check -q "$@" \
        2> >(grep -v -e 'is ignored: it is neither a file nor a directory' >&2)
}

inputs_hash() {
    {
        "$python_bin" --version 2>&1
        uname -m
        echo "distro $distro"
        cd "$repo"
        for f in "$reqs" requirements/common.txt "$lock" setup.py setup.cfg package.xml \
                 scripts/setup.sh $(find interfaces -type f | LC_ALL=C sort); do
            [[ -f "$f" ]] && { echo "== $f"; cat "$f"; }
        done
    } | sha256sum | cut -d' ' -f1
}

# One setup at a time per checkout (two shells running make test at once).
exec 9>"/tmp/pose3d_setup_$(echo "$repo" | sha256sum | cut -c1-12).lock"
flock 9

[[ "$(uname -m)" == "x86_64" ]] || die "the PyPI ROS 2 wheels exist for x86_64 only; on $(uname -m) (e.g. Jetson) install ROS 2 and build with colcon (see README)"
command -v "$python_bin" >/dev/null || die "$python_bin not found; set PYTHON=/path/to/python3.11 (3.10-3.13 work)"

want="$(inputs_hash)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
   && "$venv/bin/python" -c "import rclpy, tf2_msgs.msg, hri_msgs.msg, pose3d_ros" 2>/dev/null; then
    say "environment up to date"
else
    rm -f "$stamp"
    # One distribution per venv: its interfaces are built against that distribution's toolchain.
    # (A venv from before distributions were selectable holds Kilted.)
    distro_file="$venv/.pose3d_ros_distro"
    if [[ -d "$venv" ]] && [[ "$(cat "$distro_file" 2>/dev/null || echo kilted)" != "$distro" ]]; then
        say "$venv holds ROS 2 $(cat "$distro_file" 2>/dev/null || echo kilted), not $distro: recreating it"
        rm -rf "$venv"
    fi
    if ! "$venv/bin/python" -c "import sys" 2>/dev/null; then
        say "creating $venv (ROS 2 $distro) with $("$python_bin" --version 2>&1)"
        rm -rf "$venv"
        "$python_bin" -m venv "$venv"
    fi
    echo "$distro" >"$distro_file"

    say "installing pinned packages ($reqs, ROS 2 $distro)"
    constraints=()
    [[ -f "$repo/$lock" ]] && constraints=(-c "$repo/$lock")
    pip_install -r "$repo/$reqs" "${constraints[@]}"

    # The wheels' exported CMake files name the wheel build machine's Python and
    # numpy include dirs; point them at ours so interface packages can be built.
    py_inc="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
    np_inc="$("$venv/bin/python" -c 'import numpy; print(numpy.get_include())')"
    [[ -f "$py_inc/Python.h" ]] || die "Python headers missing ($py_inc/Python.h); install python3.11-dev"
    { grep -rlE '/opt/python/cp[0-9]+-cp[0-9]+/' "$venv/share" --include='*.cmake' 2>/dev/null || true; } \
        | while read -r f; do
            sed -i -E \
                -e "s#/opt/python/cp[0-9]+-cp[0-9]+/lib/python3\.[0-9]+/site-packages/numpy/_core/include#$np_inc#g" \
                -e "s#/opt/python/cp[0-9]+-cp[0-9]+/include/python3\.[0-9]+#$py_inc#g" "$f"
        done

    for pkg_dir in "$repo"/interfaces/*/; do
        pkg="$(basename "$pkg_dir")"
        src_hash="$(cd "$pkg_dir" && find . -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -d' ' -f1)"
        marker="$venv/share/$pkg/.pose3d_interface_hash"
        if [[ -f "$marker" && "$(cat "$marker")" == "$src_hash" ]]; then
            say "$pkg: built, unchanged"
            continue
        fi
        types="$(cd "$pkg_dir/msg" && ls *.msg | sed 's/\.msg$//' | paste -sd, -)"
        if [[ ! -f "$marker" ]] && "$venv/bin/python" -c "from $pkg.msg import $types" 2>/dev/null; then
            say "$pkg: provided by the environment (real ROS install?), not building"
            continue
        fi
        command -v cmake >/dev/null || die "cmake not found (apt-get install cmake)"
        command -v c++ >/dev/null || die "a C/C++ compiler is needed to build $pkg (apt-get install build-essential)"
        say "$pkg: building ($types)"
        build_dir="$venv/.interfaces-build/$pkg"
        rm -rf "$build_dir"
        mkdir -p "$build_dir"
        generator=()
        command -v ninja >/dev/null && generator=(-G Ninja)
        log="$build_dir/build.log"
        if ! (cd "$build_dir" \
              && PATH="$venv/bin:$PATH" AMENT_PREFIX_PATH="$venv" cmake "${generator[@]}" "$pkg_dir" \
                   -DCMAKE_INSTALL_PREFIX="$venv" -DCMAKE_PREFIX_PATH="$venv" \
                   -DPython3_EXECUTABLE="$venv/bin/python" -DCMAKE_BUILD_TYPE=Release \
                   -DBUILD_TESTING=OFF \
              && PATH="$venv/bin:$PATH" AMENT_PREFIX_PATH="$venv" cmake --build . --parallel "$(nproc)" \
              && cmake --install .) >"$log" 2>&1; then
            tail -n 40 "$log" >&2
            die "building $pkg failed (full log: $log)"
        fi
        echo "$src_hash" >"$marker"
        rm -rf "$build_dir"
    done
    rmdir "$venv/.interfaces-build" 2>/dev/null || true

    say "installing pose3d_ros (editable)"
    pip_install --no-deps --no-build-isolation -e "$repo"

    "$venv/bin/python" -c "import rclpy, tf2_msgs.msg, hri_msgs.msg, pose3d_ros" \
        || die "the new environment cannot import rclpy / tf2_msgs / hri_msgs / pose3d_ros"
    echo "$want" >"$stamp"
fi

if [[ "${POSE3D_SKIP_MODELS:-0}" == "1" ]]; then
    say "models: skipped (POSE3D_SKIP_MODELS=1)"
elif "$venv/bin/python" -c "import pose3d_ros.tools.models" 2>/dev/null; then
    # heavy, thunder, lightning: the `landmark_model:=heavy` / `:=thunder` / `:=lightning`
    # options' models (from the npm tarball MoveNet comes from)
    say "models: $venv/bin/pose3d_models --blazepose-heavy --movenet-thunder --movenet-lightning"
    "$venv/bin/pose3d_models" --blazepose-heavy --movenet-thunder --movenet-lightning
else
    say "models: pose3d_ros.tools.models is not in this checkout yet; no models fetched"
fi

finish "done"
