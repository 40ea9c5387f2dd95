# Two entry points for a fresh Debian machine with Python 3.11:
#   make run   installs the runtime into .venv and starts the dashboard on the bundled sample
#   make test  installs runtime + dev tools + system chromium, then runs ruff and the whole test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

# No model or data is ever fetched from a hub at run time.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1

.PHONY: run test install install-dev system-deps lint bench

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime .ci/requirements-dev.txt
	$(PY) -m pip install -r .ci/requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Chromium drives the browser tests and renders PNG/SVG exports (kaleido).
system-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends \
			chromium fonts-liberation fonts-noto-cjk; \
	fi
	@# Java 17 runs Spark (the atlas spark engine and its parity tests).
	@if ! command -v java >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends \
			openjdk-17-jre-headless; \
	fi

run: $(VENV)/.runtime
	$(PY) -m streamlit run dashboard/app.py --server.port $(PORT)

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: $(VENV)/.dev system-deps lint
	$(PY) -m pytest

bench: $(VENV)/.dev
	for b in bench/*.py; do $(PY) $$b || exit 1; done
