# Single entry point: make demo | test | lint | typecheck | validate | build | unit | integration | bench | bench-scale | deploy
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
SAM_VENV  := .venv-sam
PY        := $(VENV)/bin/python
SAM       := $(SAM_VENV)/bin/sam
SAM_CLI_VERSION := 1.170.0
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

# The Lambda runtime is python3.13 (template.yaml). Find that interpreter: PYTHON if given, then PATH,
# then pyenv's versions folder. Fail clearly when there is none.
PYTHON ?= $(shell for c in python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3.13 /root/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13; do \
            p=$$(command -v $$c 2>/dev/null) && "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: help
help:
	@echo "make demo         run the sync end to end on the local Okta and Zoom simulators"
	@echo "make test         lint, typecheck, validate and build the template, run every test"
	@echo "make unit | integration | infra | faults   one test tier"
	@echo "make quick        every test but the slow ones (pytest -m 'not slow')"
	@echo "make bench        benchmarks (figures, not assertions); make bench-scale: 100,000 users"
	@echo "make build        sam build;  make deploy: sam deploy --guided"

$(PY): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "error: python3.13 not found (the Lambda runtime's version). Install it or run 'make PYTHON=/path/to/python3.13 ...'" >&2; exit 1; fi
	@echo "creating $(VENV) with $(PYTHON)"
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(PY)

$(SAM): | $(PY)
	@echo "creating $(SAM_VENV) (SAM CLI $(SAM_CLI_VERSION), kept apart from the runtime's pins)"
	@[ -x $(SAM_VENV)/bin/python ] || $(PYTHON) -m venv $(SAM_VENV)
	@$(SAM_VENV)/bin/pip install -q --disable-pip-version-check aws-sam-cli==$(SAM_CLI_VERSION)

.PHONY: venv
venv: $(PY)

.PHONY: demo
demo: $(PY)
	@$(PY) -m tests.demo

.PHONY: lint
lint: $(PY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PYTHONPATH=layers/engine $(VENV)/bin/lint-imports

.PHONY: format
format: $(PY)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

.PHONY: typecheck
typecheck: $(PY)
	$(VENV)/bin/mypy

.PHONY: validate
validate: $(PY) $(SAM)
	$(SAM) validate --lint --template template.yaml
	$(VENV)/bin/cfn-lint template.yaml

# sam build needs a python of the runtime's version, with pip, first on PATH.
.PHONY: build
build: $(PY) $(SAM)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(SAM) build --template template.yaml

.PHONY: unit integration infra faults
faults: $(PY)
	$(PY) -m pytest tests/faults
unit: $(PY)
	$(PY) -m pytest tests/unit
integration: $(PY)
	$(PY) -m pytest tests/integration
infra: $(PY)
	$(PY) -m pytest tests/infra

.PHONY: pytest
pytest: $(PY)
	$(PY) -m pytest

# Every tier, without the tests marked slow (about 2 s or more each); `make test` runs them all.
.PHONY: quick
quick: $(PY)
	$(PY) -m pytest -m "not slow"

.PHONY: test
test: lint typecheck validate build pytest

# Figures, not assertions: tables on the terminal, bench/results.md and bench/scaling.svg (see README, Performance).
# `make bench` takes about 2 minutes; `make bench-scale` (100,000 users, plus a 5,000-user initial sync) about 5.
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--env SOME_CONCURRENCY=8" for an applier that reads a setting.
.PHONY: bench bench-scale
bench: $(PY)
	$(PY) -m tests.bench $(BENCH_ARGS)

bench-scale: $(PY)
	$(PY) -m tests.bench_scale $(BENCH_ARGS)

.PHONY: deploy
deploy: build
	$(SAM) deploy --guided

.PHONY: clean
clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
