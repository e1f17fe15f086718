# The only commands humans and CI need. `make run` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-dates test-sqlite test-postgres lint fmt migrate migration demo scheduler bench browser-deps clean

$(BIN)/activate: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --no-deps -r requirements.lock
	touch $(BIN)/activate

venv: $(BIN)/activate

instance/.demo-loaded: | $(BIN)/activate
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) agencies load-reference
	$(FLASK) demo load
	touch instance/.demo-loaded

## make run: environment, migrations, reference and demo data (once), then the web app and its scheduler.
## Email goes to a local development mail sink (instance/mail, a Maildir) unless MAIL_SERVER is set.
run: $(BIN)/activate
	mkdir -p instance
	$(FLASK) db upgrade
	@$(MAKE) --no-print-directory instance/.demo-loaded
	@echo "Tindak: http://$(HOST):$(PORT)/"
	@trap 'kill 0' INT TERM EXIT; \
	  if [ -z "$$MAIL_SERVER" ]; then \
	    $(BIN)/python -m aiosmtpd -n -l 127.0.0.1:8025 -c aiosmtpd.handlers.Mailbox instance/mail & \
	    export MAIL_SERVER=127.0.0.1 MAIL_PORT=8025; \
	  fi; \
	  $(FLASK) scheduler run & \
	  $(FLASK) demo logins; \
	  $(FLASK) run --host $(HOST) --port $(PORT) --no-reload

## make test: the whole suite on SQLite, and again on PostgreSQL when TEST_DATABASE_URL is set
test: $(BIN)/activate
	$(BIN)/pytest -q $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== PostgreSQL: $$TEST_DATABASE_URL"; \
	  TINDAK_TEST_DB=postgres $(BIN)/pytest -q $(PYTEST_ARGS); \
	fi

## make test-dates: the suite (SQLite) once at each date of .ci/shifted-clock (weekend, holiday, cuti bersama,
## New Year's Eve in WIT, 29 February, 2030) under libfaketime; CI runs one of them on every run
test-dates: $(BIN)/activate
	bash .ci/setup-system
	bash .ci/shifted-clock all

## make lint: ruff, the import contracts of .importlinter (dependencies point one way) and mypy (pyproject's list)
lint: $(BIN)/activate
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

fmt: $(BIN)/activate
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(BIN)/activate
	$(FLASK) db upgrade

## make migration MSG="...": autogenerate a new revision from the models
migration: $(BIN)/activate
	$(FLASK) db migrate -m "$(MSG)"

scheduler: $(BIN)/activate
	$(FLASK) scheduler run

## make bench: every benchmark against its bare baseline, table in bench/RESULTS.md (wrk from Debian for the list)
bench: $(BIN)/activate
	bash .ci/setup-system bench || echo "wrk could not be installed: the list benchmark falls back to its Python client"
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) instance/*.db instance/.demo-loaded
