# The README's commands. Each target bootstraps what it needs: uv (into .tools/ when it is not
# on PATH), the locked environment in .venv, and Chromium for the browser tests.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never
export UV_COMPILE_BYTECODE := 1
VENV_STAMP := .venv/.synced
RH := .venv/bin/release-health

.PHONY: demo test lint format dev bench bench-large install chromium clean screenshots

demo: $(VENV_STAMP)
	$(RH) demo

test: $(VENV_STAMP) chromium
	.venv/bin/pytest

lint: $(VENV_STAMP)
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: $(VENV_STAMP)
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

dev: $(VENV_STAMP)
	.venv/bin/dagster dev -w workspace.yaml

bench: $(VENV_STAMP)
	.venv/bin/python benchmarks/run.py

bench-large: $(VENV_STAMP)
	.venv/bin/python benchmarks/run.py --large

install: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The README's pictures of the review sections, from the demo's latest week (run `make demo`
# first), taken with headless Chromium's --screenshot.
screenshots: $(VENV_STAMP) chromium
	.venv/bin/python docs/screenshots.py data/demo/reports docs

clean:
	rm -rf .venv .tools data/demo .pytest_cache .ruff_cache
