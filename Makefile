# One Django site, three databases. `make help` lists the targets.
.DEFAULT_GOAL := help
.PHONY: help install system-deps browser test-deps bench-deps databases migrate routes migrate-check references demo-fixtures seed superuser run serve up down test bench drill consistency references-scale fresh-machine lint format migrations-check check clean

PYTHON ?= python3
# The image sets VENV=/opt/venv, so `make test` runs inside the compose stack too.
VENV ?= .venv
# `make test DJANGO=6.1.3`: the suite on another Django, in a virtualenv of its own (.venv-django-6.1.3):
# requirements.txt, then that Django over it. .venv keeps the site's pin. CI runs the suite on DJANGO_NEXT too
# (.ci/run reads it here; tests/test_ci.py checks that the workflow names the same).
DJANGO_NEXT := 6.1.3
ifneq ($(DJANGO),)
VENV := .venv-django-$(DJANGO)
endif
# The oldest Python that installs requirements.txt (pyproject.toml's requires-python; uvicorn's own floor),
# or 3.12 for a Django 6 asked for with DJANGO.
MIN_PYTHON = $(if $(filter-out 5.%,$(DJANGO)),3.12,3.11)
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# $(call apt_install,CHECK,PACKAGES): install Debian packages (with sudo unless root) when CHECK fails.
apt_install = ( $(1) ) >/dev/null 2>&1 || { \
	  command -v apt-get >/dev/null || { echo "Install $(2), then retry."; exit 1; }; \
	  echo "Installing $(2)..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; }

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

system-deps: ## Install what the venv and mysqlclient's build need (Debian/Ubuntu), if missing
	@$(call apt_install,$(PYTHON) -c 'import ensurepip',python3-venv)
	@$(call apt_install,command -v gcc,build-essential)
	@$(call apt_install,$(PYTHON) -c 'import sysconfig; open(sysconfig.get_paths()["include"] + "/Python.h")',python3-dev)
	@$(call apt_install,pkg-config --exists libmariadb || pkg-config --exists mysqlclient,pkg-config libmariadb-dev)

# Debian packages Chromium as chromium and chromium-driver. Ubuntu has no chromium package: its chromium-browser
# and chromium-chromedriver install the snap (/snap/bin/chromium) and link /usr/bin/chromedriver to its driver.
CHROMIUM_PACKAGES := $(shell grep -qx 'ID=ubuntu' /etc/os-release 2>/dev/null \
	&& echo chromium-browser chromium-chromedriver || echo chromium chromium-driver)

browser: ## Install headless Chromium and its driver for the browser test, if missing (Debian's packages, Ubuntu's snap)
	@$(call apt_install,{ [ -x /usr/bin/chromium ] || [ -x /snap/bin/chromium ]; } && [ -x /usr/bin/chromedriver ],$(CHROMIUM_PACKAGES))

# The Python is checked first: system-deps asks it about ensurepip and Python.h, and would install packages
# on behalf of a Python that cannot be used anyway.
$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] < tuple(map(int, "$(MIN_PYTHON)".split("."))))' \
	  2>/dev/null || { echo "$(if $(DJANGO),Django $(DJANGO),requirements.txt) needs Python $(MIN_PYTHON) or later;" \
	  "PYTHON=$(PYTHON) gives: $$($(PYTHON) -V 2>&1 | head -n 1). Install one, then pass it by name or path, e.g." \
	  "make $(or $(firstword $(MAKECMDGOALS)),install)$(if $(DJANGO), DJANGO=$(DJANGO))" \
	  "PYTHON=python$(MIN_PYTHON) or PYTHON=~/.pyenv/versions/$(MIN_PYTHON).<patch>/bin/python$(MIN_PYTHON)"; exit 1; }
	@$(MAKE) --no-print-directory system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	$(if $(DJANGO),$(BIN)/pip install -q Django==$(DJANGO))
	@touch $@

install: $(VENV)/.installed ## Create .venv and install requirements.txt (DJANGO=x.y.z: .venv-django-x.y.z, that Django over them)

# Test-only packages (the third-party apps of the kit's tests), with the venv's Django kept as it is.
$(VENV)/.tests-installed: $(VENV)/.installed tests/requirements.txt
	$(BIN)/pip install -q -r tests/requirements.txt "Django==$$($(BIN)/python -m django --version)"
	@touch $@

test-deps: $(VENV)/.tests-installed ## Install tests/requirements.txt, the test-only packages (make test does)

# What a stock Debian or Ubuntu server needs before the site can log in over TCP (README, "Run it"):
# MariaDB's root logs in through its socket only, PostgreSQL asks for a password on 127.0.0.1.
LOGIN_HELP = printf '%s\n' "Could the site not log in? On a stock Debian or Ubuntu, let it (README, Run it):" \
	"  sudo mariadb -e \"$(MARIADB_LOGIN)\"" \
	"  sudo sed -i -E '$(PG_TRUST)' /etc/postgresql/*/main/pg_hba.conf" \
	"  sudo -u postgres psql -c 'SELECT pg_reload_conf()'"
MARIADB_LOGIN = ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD(''); \
	CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
PG_TRUST = s/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/

databases: install ## Create the MySQL and PostgreSQL databases if they are missing
	@$(MANAGE) create_databases || { $(LOGIN_HELP); exit 1; }

migrate: databases ## Migrate each alias (migrate touches one database at a time)
	$(MANAGE) migrate --database=default
	$(MANAGE) migrate --database=app1
	$(MANAGE) migrate --database=app2

routes: install ## Print where each model is read, written and migrated (never connects)
	$(MANAGE) routes

migrate-check: install ## Fail if any alias has unapplied migrations (for deploy pipelines)
	$(MANAGE) migrate_all --check

references: install ## Report ids that point into another database at no row (exit 1); `manage.py references --fix` clears them
	$(MANAGE) references

demo-fixtures: migrate ## Load the small demo fixtures, each into its own database (overwrites rows with their ids)
	$(MANAGE) loaddata demo --database=default
	$(MANAGE) loaddata demo --database=app1
	$(MANAGE) loaddata demo --database=app2

seed: migrate ## Add demo users, films and books (tops up; safe to repeat)
	$(MANAGE) seed

superuser: migrate ## Create or reset the demo admin (DJANGO_SUPERUSER_*, default admin/admin; local only)
	$(MANAGE) demo_superuser

run: seed superuser ## Set everything up, then serve on http://127.0.0.1:8000
	@$(MANAGE) demo_superuser --show-login
	$(MANAGE) runserver 127.0.0.1:8000

# `make serve`: the image's entrypoint and gunicorn configuration with production settings over
# plain HTTP, against the local servers. Override any of these from the environment.
SERVE_ENV = DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_HTTPS=$${DJANGO_HTTPS:-false} \
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-local-serve-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz} \
	DJANGO_ALLOWED_HOSTS=$${DJANGO_ALLOWED_HOSTS:-localhost,127.0.0.1} GUNICORN_HOST=$${GUNICORN_HOST:-127.0.0.1} \
	PATH="$(abspath $(BIN)):$$PATH"

serve: databases ## Serve with gunicorn (config/gunicorn.py) and production settings on http://127.0.0.1:8000
	$(SERVE_ENV) $(MANAGE) collectstatic --noinput --verbosity 0
	$(SERVE_ENV) docker/entrypoint.sh gunicorn -c python:config.gunicorn config.wsgi

up: ## docker compose up: build and start gunicorn, MySQL and PostgreSQL on http://localhost:8000
	docker compose up --build --detach --wait

down: ## docker compose down (keeps the data volumes; `docker compose down --volumes` drops them)
	docker compose down

# Two processes, one test file each at a time: the end-to-end tests (gunicorn, Chromium, the drill)
# spend most of their time in other processes. Each worker gets its own test databases (test_films_gw0, ...).
PYTEST_WORKERS ?= 2
# The image leaves these empty: it has no apt-get rights and no Chromium, so the browser test is deselected
# there, and it installs requirements.txt only.
BROWSER_DEPS ?= browser
TEST_DEPS ?= test-deps

test: install $(TEST_DEPS) $(BROWSER_DEPS) ## Run the test suite against the real SQLite, MySQL and PostgreSQL (DJANGO=x.y.z: on that Django)
	$(BIN)/pytest --numprocesses=$(PYTEST_WORKERS) --dist=loadfile $(PYTEST_ARGS)

bench-deps: ## Install wrk (Debian/Ubuntu), if missing: make bench drives the pages with it
	@$(call apt_install,command -v wrk,wrk)

# Both use their own databases (films_bench/books_bench, films_drill, var/bench/, var/drill/; the drill's books
# live on a private PostgreSQL primary and standby it builds and removes),
# created on first use, never a developer's. Pass options through, e.g. BENCH_ARGS='--duration 3'.
bench: install bench-deps ## Benchmark the pages with wrk under production gunicorn; print req/s, latency, ratio to the ceiling
	$(BIN)/python -m tests.load.bench $(BENCH_ARGS)

drill: install ## Fault drill: MySQL, PostgreSQL, then its replica cut off under load, SQLite under concurrent writes; print the table
	$(BIN)/python -m tests.load.drill $(DRILL_ARGS)

# make consistency: its own PostgreSQL primary and two standbys, throwaway MySQL database and SQLite file,
# removed afterwards, on Ctrl-C too. Both runs go on when the first finds a violation; make fails if either did.
SEED ?= 1
DURATION ?= 600
consistency: install ## Randomized history checker: clients vs faulted standbys, WSGI then ASGI (uvicorn), DURATION s each (SEED=1 DURATION=600)
	@status=0; \
	$(BIN)/python -m tests.consistency.run --seed $(SEED) --duration $(DURATION) || status=1; \
	$(BIN)/python -m tests.consistency.run --seed $(SEED) --duration $(DURATION) --asgi || status=1; \
	exit $$status

references-scale: install ## Time `manage.py references` and `--fix` at 100,000 films and books (the bench's databases)
	$(BIN)/python -m tests.load.references_scale

fresh-machine: ## Try the README on a new Debian 12 root (SUITE=noble: Ubuntu 24.04), servers in a private network namespace (root)
	@$(call apt_install,command -v debootstrap && command -v gpg && command -v curl,debootstrap gpg curl)
	bash tests/fresh_machine.sh

# The lint commands live in .pre-commit-config.yaml (local hooks, run from .venv, nothing fetched), so
# `make lint`, CI's lint job and a git commit run the same ones.
lint: install ## The pre-commit hooks on every file: ruff check and format, missing migrations, compose and workflow schemas
	$(BIN)/pre-commit run --all-files

format: install ## Ruff: fix what can be fixed and reformat
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install ## Fail if a model change has no migration (the `migrations` hook of make lint)
	$(BIN)/pre-commit run migrations --all-files

check: databases ## Create missing databases, then Django's system checks, database checks included, on every alias
	$(MANAGE) check --database default --database app1 --database app2

clean: ## Remove .venv, the .venv-django-* of make test DJANGO=..., and caches (keeps var/ and its SQLite file)
	rm -rf $(VENV) .venv-django-* .pytest_cache .ruff_cache
