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

# Whether the demo data was loaded before this make started: `demo load` prints the logins, so a run that has just
# loaded it does not print them a second time (read when the Makefile is parsed, before any recipe runs).
DEMO_LOADED_BEFORE := $(wildcard instance/.demo-loaded)

instance/.demo-loaded: | migrate
	$(FLASK) agencies load-reference
	$(FLASK) demo load
	touch instance/.demo-loaded

## make run: environment, migrations, reference and demo data (once), then the web app and its scheduler on
## HOST:PORT (make run HOST=0.0.0.0 PORT=5055). Email goes to a development mail sink on a free port that keeps it
## in instance/mail/<PORT> (a Maildir) unless MAIL_SERVER is set; links in emails follow HOST and PORT unless
## BASE_URL is set (HOST and PORT reach every program it starts, the demo's emails too). scripts/run_dev.py
## prints the URL once the app answers; Ctrl-C stops everything.
# (exec: no shell stays between make and the script, so Ctrl-C ends in make's own exit 130, with no message)
run: export HOST := $(HOST)
run: export PORT := $(PORT)
run: migrate instance/.demo-loaded
	@exec $(BIN)/python scripts/run_dev.py --host "$(HOST)" --port "$(PORT)"$(if $(DEMO_LOADED_BEFORE),, --no-logins)

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
	mkdir -p instance
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
	rm -rf $(VENV) instance/*.db instance/.demo-loaded instance/audit-checkpoints
