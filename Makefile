# Two commands on a fresh machine: `make demo` (set up, run the main lab) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Offline use: point every loader at the staged datasets when they sit beside the checkout.
SHARED_DATA := $(abspath ../shared/data)
ifneq ($(wildcard $(SHARED_DATA)/spoken_digit),)
export LABS_MANUAL_DIR ?= $(SHARED_DATA)
endif
ifneq ($(wildcard $(SHARED_DATA)/nltk_data),)
export NLTK_DATA ?= $(SHARED_DATA)/nltk_data
endif

.PHONY: setup demo test test-all lint labs benchmarks notebooks notebooks-sync notebooks-check \
	notebooks-kernel clean

setup: $(VENV)/.installed

# The pinned requirements, then the package itself (editable: `python -m labs` from anywhere).
$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip
	$(BIN)/pip install -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

demo: setup  ## set up, then run the main lab (spoken digits, six models and their vote)
	$(BIN)/python -m labs.bidirectional

test: setup  ## set up, then run the test suite CI runs
	$(BIN)/python -m pytest

test-all: setup  ## also the slow tests
	$(BIN)/python -m pytest -m ""

lint: setup  ## what CI checks besides the tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

labs: setup  ## list the labs
	$(BIN)/python -m labs

benchmarks: setup
	$(BIN)/python -m benchmarks

# The course notebooks (notebooks/*.ipynb). JupyterLab comes from its own pinned file, so CI and
# `make test` do not install it; run from this venv, its "Python 3" kernel is this venv's python.
# Their runs go to notebooks/runs/ (ignored by git). As root (a container), Jupyter wants --allow-root.
NOTEBOOK_ARGS ?=
notebooks: setup $(VENV)/.jupyterlab  ## open the notebooks in JupyterLab (NOTEBOOK_ARGS=--no-browser ...)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) \
		$(NOTEBOOK_ARGS)

$(VENV)/.jupyterlab: requirements-notebooks.txt
	$(BIN)/pip install -r requirements-notebooks.txt
	touch $@

# Each notebook's source is notebooks/<lab>.py (jupytext percent format); its .ipynb is written
# from it, outputs stripped. JupyterLab from this venv saves both through jupytext's pairing.
notebooks-sync: setup  ## rewrite notebooks/*.ipynb from their notebooks/*.py sources
	$(BIN)/python -m tools.notebooks

notebooks-check: setup  ## execute every notebook in quick mode, as CI does (several minutes)
	$(BIN)/python -m pytest tests/test_notebooks.py -m "" --durations=0

notebooks-kernel: setup  ## register this venv as kernel "day3-labs" for a Jupyter you already have
	$(BIN)/python -m ipykernel install --user --name day3-labs --display-name "Python (day3-labs)"

clean:
	rm -rf $(VENV) runs .pytest_cache
