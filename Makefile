# The verbs a newcomer needs. Every target sets up what it needs first, and second runs are fast:
# the venv, the system packages and the models are only installed when missing.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
KIOSK := $(BIN)/kiosk
STAMP := $(VENV)/.stamp
APT_PACKAGES := libportaudio2 pulseaudio libasound2-plugins sox espeak-ng libspeexdsp1

.PHONY: install system-deps models demo test test-fast lint bench soak install-service clean

install: $(STAMP)-install models

# System libraries: PortAudio for sounddevice, PulseAudio for the real audio loop in tests,
# libspeexdsp1 for the echo canceller's linear filter (kiosk/audio/speex.py).
system-deps: $(STAMP)-system
$(STAMP)-system:
	@mkdir -p $(VENV)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages: $$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@touch $@

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel

# llama-cpp-python builds from source (~6 min on 2 cores) the first time; pip caches the wheel.
$(STAMP)-install: pyproject.toml $(BIN)/python $(STAMP)-system
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# The training extra (torch==2.13.0 is the CPU wheel on this disk) for the training test.
$(STAMP)-train: $(STAMP)-install
	$(BIN)/pip install --quiet -e '.[dev,train]'
	@touch $@

models: $(STAMP)-install
	$(KIOSK) models fetch

demo: install
	$(BIN)/python -m kiosk.demo

test: install $(STAMP)-train
	$(BIN)/python -m pytest -q

# The edit-test loop: no real models loaded, no PulseAudio needed (about 2 minutes).
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not audio"

lint: $(STAMP)-install
	$(BIN)/ruff check kiosk tests
	$(BIN)/python -m mypy kiosk

bench: install
	$(KIOSK) bench

soak: install
	$(KIOSK) bench --soak 500

# Writes /etc/systemd/system/kiosk.service for this checkout (see systemd/README.md).
install-service: install
	sudo $(KIOSK) install-service --prefix $(CURDIR)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
