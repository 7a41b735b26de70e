# The README's commands. `make test` and `make demo` are the two that matter:
# both create the virtualenv, start the local stack (Kafka + PostgreSQL, no Docker) and go.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv up down wipe status test lint demo screenshots

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

venv: $(STAMP)  ## create .venv and install the project (+dev tools) with pinned versions

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $@

up: venv  ## start Kafka and PostgreSQL, migrate, create topics (idempotent)
	$(BIN)/wic up

down: venv  ## stop Kafka and PostgreSQL (data kept)
	$(BIN)/wic down

wipe: venv  ## stop both and delete all local data
	$(BIN)/wic down --wipe

status: venv  ## is the stack healthy?
	$(BIN)/wic status

test: venv  ## start the stack, run every test and the import contracts
	$(BIN)/wic up
	@status=0; \
	$(BIN)/python -m pytest -q || status=$$?; \
	$(BIN)/lint-imports || status=$$((status ? status : 1)); \
	exit $$status

screenshots: venv  ## run the browser tests and refresh docs/console/*.png from them
	$(BIN)/wic up
	WIC_SCREENSHOTS=$(CURDIR)/docs/console $(BIN)/python -m pytest -q tests/browser

lint: venv  ## ruff + mypy
	$(BIN)/ruff check .
	$(BIN)/mypy contracts services infra ops bench wic console

demo: venv  ## start the stack and the services, drive a realistic month, prove it by replay
	$(BIN)/wic demo
