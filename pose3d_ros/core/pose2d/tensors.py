"""What each BlazePose model's tensors mean: roles matched by shape (batch excluded).

The one table of tensor roles: the converter (models/build.py) checks its output with it and the
finder and landmark model find their tensors with it.

The ONNX models keep TFLite's tensor names (`input_1`, `Identity`, `Identity_1`, ...); these
tables give each one a role so consumers need not rely on the opaque names. Facts from
MediaPipe 0.10.21's graphs (see ../shared/notes/blazepose.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from pose3d_ros.errors import ModelError


@dataclass(frozen=True)
class TensorRole:
    """A tensor's role, its shape without the batch dim, and what its values are."""

    role: str
    shape: tuple[int, ...]
    description: str


MODEL_ROLES: dict[str, dict[str, tuple[TensorRole, ...]]] = {
    "pose_detection": {
        "inputs": (
            TensorRole(
                "image", (224, 224, 3), "NHWC float32 RGB scaled to [-1, 1], letterboxed 224x224"
            ),
        ),
        "outputs": (
            TensorRole(
                "boxes",
                (2254, 12),
                "per SSD anchor: x, y, w, h of the face box then 4 keypoints (x, y), "
                "in 224-px units relative to the anchor centre",
            ),
            TensorRole(
                "scores",
                (2254, 1),
                "per SSD anchor: person score logit (sigmoid after clipping to +-100)",
            ),
        ),
    },
    "pose_landmark_full": {
        "inputs": (
            TensorRole(
                "image", (256, 256, 3), "NHWC float32 RGB in [0, 1], rotated ROI crop 256x256"
            ),
        ),
        "outputs": (
            TensorRole(
                "landmarks",
                (195,),
                "39 x (x, y, z, visibility logit, presence logit), x/y/z in 256-px crop units",
            ),
            TensorRole("pose_flag", (1,), "pose presence probability (already a sigmoid)"),
            TensorRole("segmentation", (256, 256, 1), "person segmentation logits in crop space"),
            TensorRole("heatmap", (64, 64, 39), "per-landmark heatmaps over the crop, 64x64"),
            TensorRole("world", (117,), "39 x (x, y, z) world landmarks in metres, hip-centred"),
        ),
    },
}

# Output roles nothing in the product reads; the converter removes them (and the graph parts that
# only they need) unless asked to keep them. The segmentation head is ~45% of the landmark model's
# CPU time.
UNUSED_OUTPUT_ROLES: dict[str, tuple[str, ...]] = {"pose_landmark_full": ("segmentation",)}


def assign_roles(
    model_name: str, kind: str, shapes: dict[str, tuple[int, ...]], optional: tuple[str, ...] = ()
) -> dict[str, TensorRole]:
    """Map tensor name -> role by matching shapes (batch dim dropped); ModelError unless one-to-one.

    kind: "inputs" or "outputs"; shapes: name -> shape including the leading batch dim;
    optional: roles that may be absent (outputs pruned by the converter).
    """
    roles = MODEL_ROLES.get(model_name, {}).get(kind)
    if roles is None:
        raise ModelError(f"no tensor roles known for {model_name!r} {kind}")
    assigned: dict[str, TensorRole] = {}
    for role in roles:
        matches = [name for name, shape in shapes.items() if tuple(shape[1:]) == role.shape]
        if not matches and role.role in optional:
            continue
        if len(matches) != 1:
            raise ModelError(
                f"{model_name}: {len(matches)} {kind} of shape "
                f"[N,{','.join(map(str, role.shape))}] for role {role.role!r} (have {shapes})"
            )
        assigned[matches[0]] = role
    if len(assigned) != len(shapes):
        raise ModelError(
            f"{model_name}: {kind} without a role: {sorted(set(shapes) - set(assigned))}"
        )
    return assigned


def tensor_names(
    model_name: str,
    input_shapes: dict[str, tuple[int, ...]],
    output_shapes: dict[str, tuple[int, ...]],
    optional: tuple[str, ...] = (),
) -> dict[str, str]:
    """role -> tensor name of a loaded model (inputs and outputs); ModelError unless the shapes fit.

    Dynamic dims other than the batch must match exactly; outputs whose role is in `optional` may
    be absent (pruned by the converter)."""
    names = {}
    for kind, shapes in (("inputs", input_shapes), ("outputs", output_shapes)):
        for name, role in assign_roles(model_name, kind, shapes, optional).items():
            names[role.role] = name
    return names
