"""python -m dev.bench: run the project's benchmarks (they print numbers; none of them is a test).

    python -m dev.bench                 # all three, in the order below
    python -m dev.bench 2d [ARGS...]    # 2D stage latency / fps       (dev.bench2d)
    python -m dev.bench lifter [ARGS]   # lifter inference per person  (dev.bench_lifter)
    python -m dev.bench e2e [ARGS...]   # Image -> body TF over DDS    (dev.bench_e2e)

ARGS go to the chosen benchmark (`python -m dev.bench 2d --help`). The e2e benchmark starts DDS
participants: run it through scripts/isolated.sh (`make bench` does).
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "2d": "dev.bench2d",
    "lifter": "dev.bench_lifter",
    "e2e": "dev.bench_e2e",
}


def main(argv: list[str] | None = None) -> int:
    """Dispatch to one benchmark's main(), or run all of them without arguments."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if args and args[0] not in BENCHMARKS:
        print(
            f"dev.bench: unknown benchmark {args[0]!r}; choose from {', '.join(BENCHMARKS)}",
            file=sys.stderr,
        )
        return 2
    chosen = [args[0]] if args else list(BENCHMARKS)
    worst = 0
    for name in chosen:
        print(f"===== dev.bench {name} =====", flush=True)
        module = importlib.import_module(BENCHMARKS[name])
        code = module.main(args[1:] if args else [])
        worst = max(worst, int(code or 0))
    return worst


if __name__ == "__main__":
    sys.exit(main())
