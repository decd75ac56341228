"""What the TFLite and TF.js -> ONNX converters share: unique value names, layout permutations."""

from __future__ import annotations

from pose3d_ros.errors import ModelError

NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)


class UniqueNames:
    """ONNX value names, each handed out once: graph inputs/outputs are reserved, the rest made
    unique by a numeric suffix."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def unique(self, base: str) -> str:
        """A value name not used before: `base`, else `base_1`, `base_2`, ..."""
        name, k = base, 0
        while name in self._used:
            k += 1
            name = f"{base}_{k}"
        self._used.add(name)
        return name

    def reserve(self, name: str) -> None:
        """Claim a name (graph inputs/outputs) so no internal value takes it."""
        if name in self._used:
            raise ModelError(f"duplicate graph tensor name {name!r}")
        self._used.add(name)
