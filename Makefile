# Two commands on a fresh machine: `make demo` (set up, run the main lab) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Offline use: point tfds at the staged archive when it sits beside the checkout.
SHARED_ARCHIVE_DIR := $(abspath ../shared/data/spoken_digit)
ifneq ($(wildcard $(SHARED_ARCHIVE_DIR)/free-spoken-digit-dataset-1.0.9.tar.gz),)
export LABS_MANUAL_DIR ?= $(SHARED_ARCHIVE_DIR)
endif

.PHONY: setup demo test test-all labs benchmarks clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip
	$(BIN)/pip install -r requirements.txt
	touch $@

demo: setup  ## set up, then run the main lab (spoken digits, four models)
	$(BIN)/python -m labs.bidirectional

test: setup  ## set up, then run the test suite CI runs
	$(BIN)/python -m pytest

test-all: setup  ## also the slow tests
	$(BIN)/python -m pytest -m ""

labs: setup
	$(BIN)/python -m labs

benchmarks: setup
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) runs .pytest_cache
