# Yakusho — `make run` serves the demo, `make test` runs every check CI runs.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

# The Python versions pyproject.toml's requires-python admits, newest first (docs/operations.md
# "Python versions"). PYTHON is the first that runs of: python3 if it is one of them, python3.13,
# python3.12, python3.11 on PATH, then pyenv's installed versions; `make PYTHON=/path/to/python3.12 …`
# names one. It is looked up only by the recipes that use it.
PY_VERSIONS := 3.13 3.12 3.11
PY_RANGE := $(lastword $(PY_VERSIONS))–$(firstword $(PY_VERSIONS))
PYENV_ROOT ?= $(HOME)/.pyenv
# $(call find_python,VERSIONS): print the path of the first interpreter found that is one of VERSIONS
find_python = for c in python3 $(foreach v,$(1),python$(v)) \
  $(foreach v,$(1),$(PYENV_ROOT)/versions/$(v).*/bin/python$(v)); do \
  found=$$("$$c" -c 'import sys; print("%d.%d" % sys.version_info[:2], sys.executable)' 2>/dev/null) || continue; \
  case " $(1) " in *" $${found%% *} "*) echo "$${found\#* }"; break;; esac; done
PYTHON ?= $(shell $(call find_python,$(PY_VERSIONS)))
define no_python
echo "No suitable Python: Yakusho runs on Python $(PY_RANGE)." >&2
echo "Looked for python3 ($$(python3 --version 2>&1 | head -1)), python3.X on PATH and $(PYENV_ROOT)/versions/." >&2
echo "Install one (Debian 12's python3 is 3.11, Debian 13's is 3.13; or 'pyenv install 3.13')," >&2
echo "or name one: make PYTHON=/path/to/python3.12 $(MAKECMDGOALS)" >&2
exit 1
endef
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
# pytest-xdist processes per run (docs/testing.md): on 2 cores, 3 were no faster than 2 (SQLite
# 164 s against 153 s, PostgreSQL 552 s against 558 s), so one per core.
TEST_WORKERS ?= 2
# worksteal: a worker that runs out takes tests queued for the other. With plain `load`, tests
# were handed out in advance and the browser tests (last, being transactional) piled up on one
# worker: in one PostgreSQL run one worker stopped at 398 s while the other went on to 999 s.
XDIST := -n $(TEST_WORKERS) --dist worksteal
TOKENS := src/yakusho/static/vendor/design-tokens/tokens.css
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

## bench: timing figures on PostgreSQL (each script makes and drops its own database)
bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/plan_import.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/report_pdf.py
	$(BIN)/python bench/procedure_search.py
	$(BIN)/python bench/faq_eval.py
	$(BIN)/python bench/bookings.py
	$(BIN)/python bench/submissions.py
	$(BIN)/python bench/payments_close.py
	$(BIN)/python bench/online_payments.py

.PHONY: bench run test install system-deps browser-deps assets lint typecheck migrations-check \
        test-sqlite test-postgres smoke smoke-venvs test-pythons messages messages-check openapi plan-schema clean

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
	echo "The demo payment provider serves http://127.0.0.1:8010 (yakusho demo-payment-provider, in the background)."
	$(BIN)/yakusho demo-payment-provider --host 127.0.0.1 --port 8010 --quiet >/dev/null &
	$(BIN)/yakusho serve --host 127.0.0.1 --port 8000

## test: lint, types, migrations, tests on SQLite and PostgreSQL, browser tests, the other Pythons' smoke
# The other Pythons' virtualenvs are installed in the background meanwhile (downloads and unpacking
# wait on the network and the disk more than on the CPU); their smoke runs at the end.
test: install browser-deps
	@mkdir -p var
	$(MAKE) --no-print-directory smoke-venvs >var/smoke-venvs.log 2>&1 & venvs=$$!
	$(MAKE) --no-print-directory lint typecheck migrations-check messages-check test-sqlite test-postgres || {
	  wait $$venvs || true; exit 1; }
	if ! wait $$venvs; then cat var/smoke-venvs.log; exit 1; fi
	$(MAKE) --no-print-directory test-pythons

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
	python='$(PYTHON)'
	if [ -z "$$python" ]; then
	  # A bare Debian has no python3 at all: its own (3.11 on Debian 12, 3.13 on 13) will do.
	  if command -v python3 >/dev/null || ! command -v apt-get >/dev/null; then $(no_python); fi
	  missing="$$missing python3 python3-venv"
	elif ! version=$$("$$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null); then
	  echo "PYTHON=$$python does not run." >&2; exit 1
	elif [[ " $(PY_VERSIONS) " != *" $$version "* ]]; then
	  echo "PYTHON=$$python is Python $$version; Yakusho runs on $(PY_RANGE)." >&2; exit 1
	elif ! "$$python" -c 'import venv, ensurepip' 2>/dev/null; then
	  missing="$$missing python3-venv"
	fi
	command -v npm >/dev/null || missing="$$missing nodejs npm"
	command -v msgfmt >/dev/null || missing="$$missing gettext"
	# `yakusho backup` and `yakusho restore` on PostgreSQL run pg_dump and pg_restore (docs/backup.md).
	command -v pg_dump >/dev/null || missing="$$missing postgresql-client"
	# the tests check the rendered units with systemd-analyze (deploy/, docs/operations.md)
	command -v systemd-analyze >/dev/null || missing="$$missing systemd"
	for package in $(PDF_PACKAGES); do
	  dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$package"
	done
	if [ -n "$$missing" ]; then
	  echo "Installing system packages:$$missing"
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing
	fi
	if [ -z "$$python" ] && [ -z "$$($(call find_python,$(PY_VERSIONS)))" ]; then $(no_python); fi

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
	@echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"
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
	  $(BIN)/pytest $(XDIST) --junitxml=var/junit-sqlite.xml -m "not browser and not pdf and not excel and not postgres and not once"
	else
	  echo "== pytest on SQLite (no PostgreSQL: the database-independent tests run here) =="
	  $(BIN)/pytest $(XDIST) -m "not browser and not pdf and not excel and not postgres"
	fi

test-postgres: install browser-deps
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then
	  echo "== pytest on PostgreSQL, with browser tests =="
	  DATABASE_URL='$(PG_URL)' $(BIN)/pytest $(XDIST) --junitxml=var/junit-postgres.xml
	elif [ "$${CI:-}" = "true" ]; then
	  echo "PostgreSQL at $(PG_URL) does not answer: the PostgreSQL run is mandatory in CI." >&2
	  exit 1
	else
	  echo "SKIPPED: PostgreSQL at $(PG_URL) does not answer; the PostgreSQL and browser tests did not run."
	fi

# The smoke: one supported Python in its own virtualenv (.venv-3.12), with the project and what the tests
# need (pip's '.[test]', not the linters): a new SQLite database migrated, `yakusho check`, and these
# tests (about 40 s). The full suite runs on the default interpreter only (docs/testing.md "Smoke").
SMOKE_TESTS := tests/core/test_calendar.py tests/core/test_validators.py tests/core/test_fastyaml.py \
  tests/core/test_markdown_csv.py tests/core/test_jcal.py tests/core/test_workflow.py \
  tests/core/test_public_pages.py tests/core/test_upgrade.py
# The Pythons `make test` smokes besides the default one: mandatory in CI, elsewhere those found.
SMOKE_VERSIONS := 3.12 3.13

# The smoke's virtualenvs alone (`make test` makes them in the background while the suite runs).
smoke-venvs: system-deps
	@for version in $(SMOKE_VERSIONS); do
	  python=$$($(call find_python,$$version))
	  [ -n "$$python" ] || continue
	  venv=.venv-$$version
	  [ -x "$$venv/bin/python" ] || "$$python" -m venv "$$venv"
	  if [ ! -f "$$venv/.installed" ] || [ pyproject.toml -nt "$$venv/.installed" ]; then
	    mkdir -p var
	    flock var/.smoke-install.lock "$$venv/bin/pip" install -q --no-compile -e '.[test]'
	    touch "$$venv/.installed"
	  fi
	done

## smoke: PY=3.12 — install, migrate, check and the core tests on that Python, in .venv-3.12
smoke: system-deps $(TOKENS) $(MO)
	@if [[ " $(PY_VERSIONS) " != *" $(PY) "* ]]; then
	  echo "Name a supported Python: make smoke PY=3.12 (one of $(PY_VERSIONS))." >&2; exit 1
	fi
	python=$$($(call find_python,$(PY)))
	if [ -z "$$python" ]; then
	  echo "Python $(PY) not found: neither python$(PY) on PATH nor $(PYENV_ROOT)/versions/$(PY).*" >&2; exit 1
	fi
	venv=.venv-$(PY)
	SECONDS=0; lap=0
	took() { echo "-- $$1: $$((SECONDS - lap)) s"; lap=$$SECONDS; }
	echo "== smoke on Python $(PY) ($$python) in $$venv =="
	[ -x "$$venv/bin/python" ] || "$$python" -m venv "$$venv"
	if [ ! -f "$$venv/.installed" ] || [ pyproject.toml -nt "$$venv/.installed" ]; then
	  # One install at a time: each writes src/yakusho.egg-info. Modules compile when first imported.
	  mkdir -p var
	  flock var/.smoke-install.lock "$$venv/bin/pip" install -q --no-compile -e '.[test]'
	  touch "$$venv/.installed"
	fi
	"$$venv/bin/python" --version
	took "virtualenv and install"
	unset DATABASE_URL
	export YAKUSHO_VAR_DIR="$(CURDIR)/$$venv/var"
	rm -f "$$YAKUSHO_VAR_DIR/yakusho.sqlite3"
	"$$venv/bin/yakusho" migrate --noinput -v0
	"$$venv/bin/yakusho" check
	took "migrate (a new SQLite database) and check"
	"$$venv/bin/pytest" -p no:cacheprovider --durations=5 $(SMOKE_TESTS)
	took "core tests"
	echo "== smoke on Python $(PY): passed in $$SECONDS s =="

## test-pythons: the smoke on each of SMOKE_VERSIONS, side by side (mandatory in CI; elsewhere those found)
test-pythons: system-deps $(TOKENS) $(MO)
	@SECONDS=0
	mkdir -p var
	declare -A running=()
	for version in $(SMOKE_VERSIONS); do
	  if [ -n "$$($(call find_python,$$version))" ]; then
	    $(MAKE) --no-print-directory smoke PY=$$version >"var/smoke-$$version.log" 2>&1 &
	    running[$$version]=$$!
	  elif [ "$${CI:-}" = "true" ]; then
	    echo "Python $$version not found (python$$version on PATH or $(PYENV_ROOT)/versions/): the smoke on it is mandatory in CI." >&2
	    failed=1
	  else
	    echo "SKIPPED: the smoke on Python $$version (not found: python$$version on PATH or $(PYENV_ROOT)/versions/)."
	  fi
	done
	for version in $(SMOKE_VERSIONS); do
	  [ -n "$${running[$$version]:-}" ] || continue
	  wait "$${running[$$version]}" || failed=1
	  grep -v "^WARNING: Location 'file:" "var/smoke-$$version.log" || true
	done
	echo "== smoke on $(SMOKE_VERSIONS) side by side: $$SECONDS s =="
	[ -z "$${failed:-}" ]

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
	rm -rf $(VENV) .venv-3.* node_modules var src/yakusho/static/vendor
