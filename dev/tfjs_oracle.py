"""Python side of the TF.js oracle: run a TF.js graph model under node with the pure-JavaScript
TF.js CPU backend (scripts/setup_tfjs_oracle.sh installs it into .oracle-tfjs/).

`run_tfjs(model_json, inputs)` -> one float32 array per input (the model's first output). The
reference the converter's parity test and `python -m dev.tfjs_oracle` compare ONNX Runtime with.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
ORACLE_DIR = REPO / ".oracle-tfjs"
RUNNER = Path(__file__).resolve().with_name("tfjs_oracle.js")


def oracle_available(oracle_dir: Path = ORACLE_DIR) -> str:
    """'' when node and the oracle's packages are there, else why not (with the fix)."""
    if shutil.which("node") is None:
        return "node not on PATH (install Node.js >= 18)"
    if not (oracle_dir / "node_modules" / "@tensorflow" / "tfjs-converter").is_dir():
        return f"no TF.js oracle in {oracle_dir}; run `make oracle`"
    return ""


def run_tfjs(
    model_json: Path, inputs: list[np.ndarray], oracle_dir: Path = ORACLE_DIR
) -> tuple[list[np.ndarray], list[float]]:
    """(outputs, milliseconds per run) of the TF.js model on each input (int32 or float32)."""
    why = oracle_available(oracle_dir)
    if why:
        raise RuntimeError(why)
    with tempfile.TemporaryDirectory(prefix="tfjs_oracle_") as tmp:
        jobs = []
        for k, x in enumerate(inputs):
            x = np.ascontiguousarray(x)
            dtype = "float32" if x.dtype == np.float32 else "int32"
            src, dst = Path(tmp) / f"in{k}.bin", Path(tmp) / f"out{k}.bin"
            src.write_bytes(x.astype(dtype).tobytes())
            jobs.append(
                {"input": str(src), "shape": list(x.shape), "dtype": dtype, "output": str(dst)}
            )
        env = dict(os.environ, NODE_PATH=str(oracle_dir / "node_modules"))
        proc = subprocess.run(
            ["node", str(RUNNER), str(model_json)],
            input=json.dumps(jobs),
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"tfjs oracle failed: {proc.stderr.strip()[-2000:]}")
        outputs, times = [], []
        for line in proc.stdout.splitlines():
            if not line.startswith("{"):
                continue
            rec = json.loads(line)
            outputs.append(np.fromfile(rec["output"], np.float32).reshape(rec["shape"]))
            times.append(float(rec["ms"]))
    if len(outputs) != len(inputs):
        raise RuntimeError(f"tfjs oracle answered {len(outputs)} of {len(inputs)} inputs")
    return outputs, times
