# Every target sets itself up: a virtual environment on Python 3.13 with pinned installs,
# rebuilt only when the requirements change.

# pyenv's shim exists even where 3.13 is not the selected version, so the real path comes first.
PYTHON_313 := $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) \
	$(shell command -v python3.13))
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-sam
PORT ?= 3000
MOTO_PORT ?= 5005

.DEFAULT_GOAL := help
.PHONY: help demo test check lint format typecheck cfn-lint validate build serve invoke \
	events unit integration e2e benchmark clean

help:
	@echo "make demo       replay a store's history through the local stack and show what is sent"
	@echo "make test       every gate: lint, types, template lint, unit, integration, e2e, coverage"
	@echo "make serve      the HTTP API on 127.0.0.1:\$$PORT (3000) with AWS emulated by moto_server"
	@echo "                on \$$MOTO_PORT (5005); START=2026-01-10T00:00:00Z starts the clock there,"
	@echo "                STORE_TIME_ZONE=Asia/Kolkata sets the store's zone (default UTC)"
	@echo "make invoke     FUNCTION=<logical id> EVENT=<events/file.json> [START=<time>], like"
	@echo "                sam local invoke: a fresh, empty stack each time"
	@echo "make events     regenerate the signed sample events in events/"
	@echo "make benchmark  print cold start, latency, cost and scan figures"
	@echo "make validate   sam validate --lint"
	@echo "make build      sam build, for sam deploy"
	@echo "make lint | format | typecheck | cfn-lint | unit | integration | e2e | coverage | clean"

$(BIN)/.installed: requirements-dev.txt layers/retention/requirements.txt constraints.txt pyproject.toml
	@test -n "$(PYTHON_313)" || { echo "Python 3.13 not found (install it or use pyenv)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON_313) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-r requirements-dev.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	@test -n "$(PYTHON_313)" || { echo "Python 3.13 not found (install it or use pyenv)"; exit 1; }
	test -x $(SAM_VENV)/bin/python || $(PYTHON_313) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		-r requirements-sam.txt
	touch $@

demo: $(BIN)/.installed
	$(BIN)/retention-local demo

test: check unit integration e2e coverage

check: lint typecheck cfn-lint validate

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(BIN)/.installed
	$(BIN)/mypy layers/retention/retention functions tests

cfn-lint: $(BIN)/.installed
	$(BIN)/cfn-lint template.yaml

validate: $(SAM_VENV)/.installed
	PATH="$(dir $(PYTHON_313)):$$PATH" SAM_CLI_TELEMETRY=0 \
		$(SAM_VENV)/bin/sam validate --lint --region us-east-1

build: $(SAM_VENV)/.installed
	PATH="$(dir $(PYTHON_313)):$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build

# Unit and integration runs add up their branch coverage; `coverage` reports and gates it.
unit: $(BIN)/.installed
	$(BIN)/pytest --cov --cov-report= --cov-fail-under=0 tests/unit

integration: $(BIN)/.installed
	$(BIN)/pytest --cov --cov-append --cov-report= --cov-fail-under=0 tests/integration

e2e: $(BIN)/.installed
	$(BIN)/pytest tests/e2e

coverage: $(BIN)/.installed
	$(BIN)/coverage report

serve: $(BIN)/.installed
	$(BIN)/retention-local serve --port $(PORT) --moto-port $(MOTO_PORT) \
		$(if $(START),--start $(START)) \
		$(if $(STORE_TIME_ZONE),--parameter StoreTimeZone=$(STORE_TIME_ZONE))

invoke: $(BIN)/.installed
	$(BIN)/retention-local invoke $(FUNCTION) --event $(EVENT) $(if $(START),--start $(START))

events: $(BIN)/.installed
	$(BIN)/retention-local make-events

benchmark: $(BIN)/.installed
	$(BIN)/python -m retention.local.benchmark

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .local-stack
