# Phuket Smart Safety chatbot. `make run` and `make test` do all set-up on a fresh machine.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# uv never downloads a Python on its own: the bot uses the machine's Python 3.11+; for the NLU,
# scripts/find-python310.sh uses a local Python 3.10 and asks uv to install one only when there is
# none (and UV_PYTHON_DOWNLOADS is not "never").
export UV_PYTHON_DOWNLOADS ?= manual
export RASA_TELEMETRY_ENABLED := false
export BOT_PORT ?= 8000
export NLU_PORT ?= 5005

UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
export UV

.PHONY: help setup run test lint format nlu-train nlu-serve nlu-eval nlu-eval-independent nlu-test chat clean browser

help:
	@echo "make run        set everything up, start the NLU service and the bot (http://127.0.0.1:$(BOT_PORT))"
	@echo "make test       set everything up and run lint and every test"
	@echo "make nlu-train  train models/nlu.tar.gz (skipped when data and config are unchanged)"
	@echo "make nlu-eval   held-out evaluation per language, ours vs Rasa's stock pipeline -> reports/nlu/"
	@echo "make nlu-eval-independent   the same, trained on all data, tested on nlu/tests/independent/"
	@echo "                 PIPELINES=\"ours diet-2-layers ...\" compares others (nlu/candidates/*.yml)"
	@echo "make nlu-test FILE=data.yml OUT=dir   rasa test nlu with our model on any Rasa-format file"
	@echo "make chat       chat with the bot in the terminal (NLU must be running: make nlu-serve)"
	@echo "make lint       ruff and mypy"
	@echo "make browser    install Debian's chromium and a Thai font for the console's browser tests (apt-get)"

$(CURDIR)/.tools/bin/uv:
	@echo "uv not found: installing it with pip into .tools/"
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

# --compile-bytecode: the .pyc files are written once here, not at every start of a process (and
# never where PYTHONDONTWRITEBYTECODE is set): Rasa and TensorFlow then start seconds sooner.
.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

nlu/.venv/.synced: nlu/pyproject.toml nlu/uv.lock scripts/find-python310.sh | $(UV)
	@python310="$$(scripts/find-python310.sh)"; \
	  $(UV) sync --frozen --compile-bytecode --directory nlu --python "$$python310"
	@touch $@

setup: .venv/.synced nlu/.venv/.synced

# The console's browser tests drive Debian's Chromium (never a browser Playwright downloads), with a
# Thai font so that screenshots are readable. Installed with apt-get when missing (needs root).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "thai\|loma\|garuda\|noto sans thai"; then \
	  echo "installing Debian's chromium and a Thai font for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-thai-tlwg; \
	fi

nlu-train: nlu/.venv/.synced
	@scripts/nlu-train.sh

run: setup nlu-train
	@scripts/run.sh

# Pipelines to evaluate: ours, stock and the names of nlu/candidates/*.yml.
PIPELINES ?= ours stock

nlu-eval: nlu/.venv/.synced
	PYTHONPATH=nlu nlu/.venv/bin/python nlu/scripts/evaluate.py --pipelines $(PIPELINES) --out reports/nlu

nlu-eval-independent: nlu/.venv/.synced
	PYTHONPATH=nlu nlu/.venv/bin/python nlu/scripts/evaluate.py --pipelines $(PIPELINES) \
	  --test-dir nlu/tests/independent --out reports/nlu/independent

nlu-test: nlu-train
	@test -n "$(FILE)" -a -n "$(OUT)" || { echo "usage: make nlu-test FILE=any_rasa_format.yml OUT=dir"; exit 2; }
	PYTHONPATH=nlu nlu/.venv/bin/rasa test nlu --model models/nlu.tar.gz --nlu "$(FILE)" --out "$(OUT)"

nlu-serve: nlu-train
	@scripts/nlu-serve.sh

chat: setup
	.venv/bin/safety-bot chat

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

format: setup
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

# Test processes for the bot's suite (pytest-xdist): its tests mostly wait on servers, so more
# processes than cores still pay; each has its own NLU service and PostgreSQL databases.
TEST_WORKERS ?= 4

# The NLU project's tests run beside the bot's (their output follows the bot's); both use the model
# nlu-train just made.
test: setup browser nlu-train lint
	@mkdir -p models; (cd nlu && .venv/bin/python -m pytest -q) > models/nlu-tests.log 2>&1 & nlu=$$!; \
	  bot=0; .venv/bin/pytest -n $(TEST_WORKERS) || bot=$$?; \
	  nlu_status=0; wait $$nlu || nlu_status=$$?; \
	  echo "== NLU project tests (nlu/tests) =="; cat models/nlu-tests.log; \
	  exit $$(( bot || nlu_status ))

clean:
	rm -rf .venv nlu/.venv .tools models var reports .mypy_cache .ruff_cache .pytest_cache
