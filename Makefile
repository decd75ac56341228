# pose3d_ros: one-command entry points (embedded ROS 2 runtime in .venv, no ROS install needed).
#   make demo   set up, then play a sample stream into the node over real DDS; outputs under out/demo
#   make test   set up, lint (ruff), then run every test on Kilted (.venv) and the ROS tests
#               (test/ros, test/integration) on Jazzy (.venv-jazzy) (DDS isolated: scripts/isolated.sh)
#   make setup DISTRO=jazzy   the embedded runtime on ROS 2 Jazzy instead, in .venv-jazzy
# On a real ROS 2 install use colcon instead (see README).

SHELL := /bin/bash
# Embedded ROS 2 distribution for setup/demo/bench/lock: kilted (default, .venv) or jazzy
# (.venv-jazzy). Set on the command line (make setup DISTRO=jazzy); a sourced ROS environment's
# ROS_DISTRO is deliberately not used.
DISTRO := kilted
VENV  ?= $(if $(filter kilted,$(DISTRO)),.venv,.venv-$(DISTRO))
PY    := $(VENV)/bin/python
# What make test runs on Jazzy too (comma-separated pytest paths).
JAZZY_VENV  := .venv-jazzy
JAZZY_TESTS ?= test/ros,test/integration
ISOLATED := scripts/isolated.sh
PYTEST_ARGS ?= -rs
BENCH_ARGS ?=

.PHONY: setup setup-jazzy oracle models lint test demo bench lock clean-venv

## Create/update $(VENV) for $(DISTRO) (idempotent, fast when nothing changed); also fetches models
## when possible.
setup:
	@POSE3D_ROS_DISTRO=$(DISTRO) POSE3D_VENV=$(abspath $(VENV)) scripts/setup.sh

## Create/update .venv-jazzy for make test (models: engines/ is shared, `setup` fetches them).
setup-jazzy:
	@POSE3D_ROS_DISTRO=jazzy POSE3D_VENV=$(abspath $(JAZZY_VENV)) POSE3D_SKIP_MODELS=1 scripts/setup.sh

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

## Lint, then every test (test/unit, test/ros, test/integration, test/docs) on $(DISTRO), and
## test/ros + test/integration (nodes over real DDS) again on Jazzy; under DDS isolation (private
## network namespace when root); ends with a per-distribution summary.
test: setup setup-jazzy oracle lint
	@scripts/test_distros.sh $(DISTRO):$(VENV):test \
		$(if $(filter jazzy,$(DISTRO)),,jazzy:$(JAZZY_VENV):$(JAZZY_TESTS)) -- $(PYTEST_ARGS)

## Sample stream -> node over real DDS -> annotated frames + 3D view in out/demo.
demo: setup
	@POSE3D_VENV=$(abspath $(VENV)) $(ISOLATED) scripts/demo.sh

## Throughput/latency numbers (prints; not a test).
bench: setup
	@OPENBLAS_NUM_THREADS=1 $(ISOLATED) nice $(PY) -m dev.bench $(BENCH_ARGS)

## Regenerate $(DISTRO)'s lock (requirements/constraints.txt, constraints-jazzy.txt) from $(VENV)
## after editing requirements.txt or requirements/jazzy.txt; after requirements/common.txt, lock
## both (make lock; make lock DISTRO=jazzy): test/unit/test_requirement_locks.py checks they agree.
lock:
	@$(PY) scripts/lock_requirements.py --distro $(DISTRO)

clean-venv:
	rm -rf $(VENV)
