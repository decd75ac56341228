#!/usr/bin/env bash
# Run a command with ROS 2 / DDS traffic confined to this host.
#
#   scripts/isolated.sh CMD [ARGS...]
#
# - discovery pinned to localhost (ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST,
#   ROS_LOCALHOST_ONLY=1 for older distros), FASTDDS_BUILTIN_TRANSPORTS unset;
# - its own ROS_DOMAIN_ID (random in 1..101 unless ROS_DOMAIN_ID is already set);
# - the Fast DDS profile config/fastdds_shm.xml (16 MiB shared-memory segment, so
#   640x480 images arrive whole over best-effort QoS) in FASTDDS_DEFAULT_PROFILES_FILE
#   and, for Fast DDS 2.x (Jazzy), FASTRTPS_DEFAULT_PROFILES_FILE;
# - when run as root: re-executes itself in a private network namespace
#   (unshare -n) with only the loopback interface up, so no packet can leave
#   the machine whatever DDS does. Not root: the variables above only.
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [[ "$(id -u)" == "0" && "${POSE3D_ISOLATED_NETNS:-}" != "1" ]]; then
    if ! command -v unshare >/dev/null 2>&1; then
        echo "isolated.sh: 'unshare' (util-linux) is required when running as root" >&2
        exit 1
    fi
    export POSE3D_ISOLATED_NETNS=1
    exec unshare --net -- "$0" "$@"
fi

if [[ "${POSE3D_ISOLATED_NETNS:-}" == "1" ]]; then
    # Inside the new namespace: bring loopback up (nothing else exists here).
    if command -v ip >/dev/null 2>&1; then
        ip link set lo up
    elif command -v ifconfig >/dev/null 2>&1; then
        ifconfig lo up
    else
        echo "isolated.sh: need 'ip' (iproute2) or 'ifconfig' to bring lo up" >&2
        exit 1
    fi
    if grep -qvE '^\s*(lo:|Inter-|face)' /proc/self/net/dev; then
        echo "isolated.sh: unexpected network interfaces in the private namespace" >&2
        exit 1
    fi
fi

export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
export ROS_LOCALHOST_ONLY=1
unset ROS_STATIC_PEERS FASTDDS_BUILTIN_TRANSPORTS
if [[ -z "${ROS_DOMAIN_ID:-}" ]]; then
    ROS_DOMAIN_ID=$(( (RANDOM % 101) + 1 ))
fi
export ROS_DOMAIN_ID
export FASTDDS_DEFAULT_PROFILES_FILE="${FASTDDS_DEFAULT_PROFILES_FILE-$repo_root/config/fastdds_shm.xml}"
# Fast DDS 2.x (ROS 2 Jazzy) reads the profile from the older variable name only; Fast DDS 3.x
# (Kilted) warns in every process when that name is set, so it is set for 2.x only: the venv
# of the command (CMD = <venv>/bin/python), else the one POSE3D_VENV names, has ros_fastrtps 2.x.
uses_fastdds2() {
    local venv
    venv="$(dirname -- "$(dirname -- "$1")")"
    [[ -d "$venv/lib" ]] || venv="${POSE3D_VENV:-}"
    [[ -n "$venv" ]] && compgen -G "$venv/lib/python3*/site-packages/ros_fastrtps-2.*.dist-info" >/dev/null
}
if uses_fastdds2 "$1"; then
    export FASTRTPS_DEFAULT_PROFILES_FILE="${FASTRTPS_DEFAULT_PROFILES_FILE-$FASTDDS_DEFAULT_PROFILES_FILE}"
fi

exec "$@"
