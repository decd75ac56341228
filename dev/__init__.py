"""Research and maintenance tools of pose3d_ros: not installed,
run from the repo root as `python -m dev.<tool>`.

Nothing under `pose3d_ros/` imports this package; it depends on the runtime, never the reverse.

    .venv/bin/python -m dev.<tool> --help

- evaluation: `eval2d` (2D stage vs COCO and MediaPipe -> docs/accuracy.md), `eval2d_finders`
  (person finders side by side: BlazePose detector, MoveNet, both -> docs/pose2d.md), `eval_lifter`
  (lifter on held-out CMU subjects; `--conditions` -> `eval_conditions`, robot/room cameras per
  condition; `--temporal` -> `eval_temporal`, time consistency), `noise_fit` (the 2D stage's
  errors on the COCO photos -> dev/noise2d_fit.json), `eval_placement` (root depth with / without
  a known floor),
  `compare_sources` (lifter / direct / fused 3D on photos, consistency only), `metrics`
  (3D: MPJPE, P-MPJPE, PCK, AUC), `metrics2d` (OKS, AP, PCK), `nn_baseline` (nearest-neighbour
  lifting baseline), `eval_behaviour` (posture / gesture precision and recall on CMU mocap) with
  `behaviour_data` (its frame labels, clip cameras and synthetic waves);
- lifter training: `train_lifter` (needs torch, requirements/train.txt), `train_temporal` (the
  causal temporal lifter, same venv), `lifter_data` (CMU mocap, virtual cameras, noise; numpy),
  `lifter_onnx` (BN folding, ONNX writing);
- benchmarks: `bench` (runs the three below; `make bench`), `bench2d`, `bench_lifter`, `bench_e2e`,
  `soak` (10 min over DDS: RSS, drops, latency), `timing` (the shared timing helper),
  `node_process` (starts and stops pose3d_node for bench_e2e and soak), `lifecycle_cpu` (the
  managed node's CPU per lifecycle state over DDS);
- MediaPipe oracle: `mediapipe_oracle` (a script run by .venv-mediapipe's interpreter),
  `oracle_client` (runs it from .venv, finds ../shared);
- TF.js oracle: `tfjs_oracle` (runs TF.js graph models under node with the pure-JavaScript TF.js
  of .oracle-tfjs through tfjs_oracle.js; the reference of the TF.js -> ONNX converter);
- GPU: `gpu_check` (every installed GPU backend against the CPU one on the sample clip),
  `tracking_sensitivity` (how far ROI tracking carries a tiny model-output difference);
- maintenance: `check_conversion` (our ONNX models vs the TFLite interpreter), `record_demo`
  (the recorder of `make demo`), `compare_demo` (do two demo runs see the same people),
  `doc_sections` (rewrites one marked section of a docs page),
  `dds_env` (DDS isolation checks used by the tests, the demo and bench_e2e).
"""
