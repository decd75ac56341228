# pose3d_ros: one-command entry points (embedded ROS 2 runtime in .venv, no ROS install needed).
#   make demo   set up, then play a sample stream into the node over real DDS; outputs under out/demo
#   make test   set up, lint (ruff), then run every test (DDS isolated: scripts/isolated.sh)
# On a real ROS 2 install use colcon instead (see README).

SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
ISOLATED := scripts/isolated.sh
PYTEST_ARGS ?= -rs
BENCH_ARGS ?=

.PHONY: setup oracle models lint test demo bench lock clean-venv

## Create/update .venv (idempotent, fast when nothing changed); also fetches models when possible.
setup:
	@POSE3D_VENV=$(abspath $(VENV)) scripts/setup.sh

## (Re)run model acquisition/conversion explicitly.
models: setup
	@$(VENV)/bin/pose3d_models

## Test-only oracles: MediaPipe 0.10.21 venv (.venv-mediapipe), the reference for the parity test and
## evaluation; pure-JavaScript TF.js under node (.oracle-tfjs), the reference for the TF.js converter.
oracle:
	@scripts/setup_mediapipe_oracle.sh
	@scripts/setup_tfjs_oracle.sh

## Lint: ruff check (pycodestyle, pyflakes, isort, module/class docstrings) and ruff format --check (ruff.toml).
lint: setup
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

## Lint, then every test (test/unit, test/ros, test/integration, test/docs) under DDS isolation
## (private network namespace when root).
test: setup oracle lint
	@POSE3D_REQUIRE_DDS=1 $(ISOLATED) $(PY) -m pytest test $(PYTEST_ARGS)

## Sample stream -> node over real DDS -> annotated frames + 3D view in out/demo.
demo: setup
	@$(ISOLATED) scripts/demo.sh

## Throughput/latency numbers (prints; not a test).
bench: setup
	@OPENBLAS_NUM_THREADS=1 $(ISOLATED) nice $(PY) -m dev.bench $(BENCH_ARGS)

## Regenerate requirements/constraints.txt from the current .venv after editing requirements.txt.
lock:
	@$(PY) scripts/lock_requirements.py

clean-venv:
	rm -rf $(VENV)
