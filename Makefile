# Yakusho — `make run` serves the demo, `make test` runs every check CI runs.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
# pytest-xdist processes per run (docs/testing.md): on 2 cores, 3 were no faster than 2 (SQLite
# 164 s against 153 s, PostgreSQL 552 s against 558 s), so one per core.
TEST_WORKERS ?= 2
TOKENS := src/yakusho/static/vendor/design-tokens/tokens.css
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

## bench: timing figures on PostgreSQL (each script makes and drops its own database)
bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/plan_import.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/report_pdf.py
	$(BIN)/python bench/procedure_search.py
	$(BIN)/python bench/bookings.py
	$(BIN)/python bench/submissions.py

.PHONY: bench run test install system-deps browser-deps assets lint typecheck migrations-check \
        test-sqlite test-postgres messages messages-check openapi plan-schema clean

## run: install, migrate, load the demo, serve on http://127.0.0.1:8000
run: install
	mkdir -p var/mail
	export YAKUSHO_EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend
	export YAKUSHO_EMAIL_FILE_PATH="$(CURDIR)/var/mail"
	$(BIN)/yakusho migrate --noinput -v0
	$(BIN)/yakusho createcachetable
	$(BIN)/yakusho collectstatic --noinput -v0
	$(BIN)/yakusho demo
	echo "Mail is written to var/mail/ (yakusho send-mail runs in the background)."
	trap 'kill $$(jobs -p) 2>/dev/null || true' EXIT
	$(BIN)/yakusho send-mail --loop --interval 10 >/dev/null &
	$(BIN)/yakusho serve --host 127.0.0.1 --port 8000

## test: lint, types, migrations, tests on SQLite and PostgreSQL, browser tests
test: install browser-deps lint typecheck migrations-check messages-check test-sqlite test-postgres

PO := src/yakusho/locale/en/LC_MESSAGES/django.po
MO := $(PO:.po=.mo)

install: system-deps $(VENV)/.installed $(TOKENS) $(MO)

$(MO): $(PO)
	msgfmt --check -o $@ $<

# WeasyPrint (the progress report's tagged PDF, docs/architecture.md "PDFs") loads Pango and
# HarfBuzz's subsetter through cffi, and the report embeds Noto Sans CJK JP from the system.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk

system-deps:
	@missing=""
	command -v npm >/dev/null || missing="$$missing nodejs npm"
	command -v msgfmt >/dev/null || missing="$$missing gettext"
	$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || missing="$$missing python3-venv"
	for package in $(PDF_PACKAGES); do
	  dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$package"
	done
	if [ -n "$$missing" ]; then
	  echo "Installing system packages:$$missing"
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing
	fi

browser-deps:
	@missing=""
	command -v chromium >/dev/null || missing="$$missing chromium"
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"
	[ -d /usr/share/poppler/cMap ] || missing="$$missing poppler-data"
	if [ -n "$$missing" ]; then
	  echo "Installing for the browser and PDF tests:$$missing"
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing
	fi

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

assets: $(TOKENS)

$(TOKENS): node_modules/.package-lock.json
	mkdir -p $(dir $@)
	cp node_modules/@digital-go-jp/design-tokens/dist/tokens.css $@

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	PYTHONPATH=src $(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy

migrations-check: install
	DJANGO_SETTINGS_MODULE=yakusho.settings_test $(BIN)/yakusho makemigrations --check --dry-run

test-sqlite: install
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then
	  echo "== pytest on SQLite (browser, PDF, Excel and database-independent tests run in the PostgreSQL run) =="
	  $(BIN)/pytest -n $(TEST_WORKERS) -m "not browser and not pdf and not excel and not postgres and not once"
	else
	  echo "== pytest on SQLite (no PostgreSQL: the database-independent tests run here) =="
	  $(BIN)/pytest -n $(TEST_WORKERS) -m "not browser and not pdf and not excel and not postgres"
	fi

test-postgres: install browser-deps
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then
	  echo "== pytest on PostgreSQL, with browser tests =="
	  DATABASE_URL='$(PG_URL)' $(BIN)/pytest -n $(TEST_WORKERS)
	elif [ "$${CI:-}" = "true" ]; then
	  echo "PostgreSQL at $(PG_URL) does not answer: the PostgreSQL run is mandatory in CI." >&2
	  exit 1
	else
	  echo "SKIPPED: PostgreSQL at $(PG_URL) does not answer; the PostgreSQL and browser tests did not run."
	fi

openapi: install
	DJANGO_SETTINGS_MODULE=yakusho.settings_test $(BIN)/yakusho export_openapi_schema \
	  --api yakusho.api.api --output docs/openapi.json --indent 2 --sorted

## messages: extract translatable strings into the English catalogue (then translate the new ones)
plan-schema: install
	$(BIN)/python -c "import json; from yakusho.plans.planfile.schema import json_schema; \
	  open('docs/plan-file.schema.json', 'w').write(json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + '\n')"

messages: install
	cd src/yakusho && ../../$(BIN)/yakusho makemessages -l en --no-obsolete --no-location

## messages-check: the committed catalogue is current and complete
messages-check: install
	@cp $(PO) $(PO).orig
	(cd src/yakusho && ../../$(BIN)/yakusho makemessages -l en --no-obsolete --no-location -v0)
	if ! diff -q -I '^"POT-Creation-Date' $(PO).orig $(PO) >/dev/null; then
	  diff -u -I '^"POT-Creation-Date' $(PO).orig $(PO) | head -40
	  mv $(PO).orig $(PO)
	  echo "The English catalogue is stale: run 'make messages', translate, commit." >&2; exit 1
	fi
	mv $(PO).orig $(PO)
	stats=$$(msgfmt --check --statistics -o /dev/null $(PO) 2>&1)
	echo "messages: $$stats"
	case "$$stats" in *fuzzy*|*untranslated*) echo "Untranslated or fuzzy messages in $(PO)" >&2; exit 1;; esac

clean:
	rm -rf $(VENV) node_modules var src/yakusho/static/vendor
