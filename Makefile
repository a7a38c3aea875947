# The README's commands. Each target bootstraps what it needs: uv (into .tools/ when it is not
# on PATH), the locked environment in .venv (with the team-mode extension wheels), Chromium for
# the browser tests and the PostgreSQL server programs for the team-mode tests.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never
export UV_COMPILE_BYTECODE := 1
VENV_STAMP := .venv/.synced
RH := .venv/bin/release-health

.PHONY: demo test lint format docs dev bench bench-large bench-team install chromium postgresql clean screenshots

demo: $(VENV_STAMP)
	$(RH) demo

test: $(VENV_STAMP) chromium postgresql
	.venv/bin/pytest

lint: $(VENV_STAMP)
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: $(VENV_STAMP)
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

# the README's mart tables (section "Warehouse tables"), written from assets/marts/*.yaml
docs: $(VENV_STAMP)
	.venv/bin/python -m assets.marts.readme

# the UI on the instance `release-health run` records in (DAGSTER_HOME, else dagster/ beside the
# warehouse); its own process group, so a SIGTERM to the group stops the UI and its children
dev: $(VENV_STAMP)
	set -m; $(RH) dev $(if $(PORT),--port $(PORT))

bench: $(VENV_STAMP)
	.venv/bin/python benchmarks/run.py

bench-large: $(VENV_STAMP)
	.venv/bin/python benchmarks/run.py --large

bench-team: $(VENV_STAMP) postgresql
	.venv/bin/python benchmarks/team.py

install: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra team --compile-bytecode --python $(PYTHON)
	@touch $@

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# the tests start their own throwaway server with scripts/local-postgres; only the programs
# are needed here
postgresql:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1 || { \
		echo "installing PostgreSQL for the team-mode tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq postgresql >/dev/null; }
# The README's pictures of the review sections, from the demo's latest week (run `make demo`
# first), taken with headless Chromium's --screenshot.
screenshots: $(VENV_STAMP) chromium
	.venv/bin/python docs/screenshots.py data/demo/reports docs

clean:
	rm -rf .venv .tools data/demo .pytest_cache .ruff_cache
