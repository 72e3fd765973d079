# schoolit developer commands. `make demo` and `make test` work from a fresh clone: they create
# .venv, install the project into it, and install the system packages the tests need.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
# Debian packages the test suite talks to (real peers); later issues add to this list.
# systemd: `systemd-analyze verify` checks the units in deploy/; curl drives bench/probe_sweep.py;
# chromium is the browser of the end-to-end tests (Playwright drives it); slapd (OpenLDAP) and ldap-utils are
# the directory the single sign-on tests sign in against, nodejs and npm run their OpenID provider (the npm
# package oidc-provider, installed by the tests); dovecot-imapd is the IMAP server the inbound mail tests fetch
# from. A package counts as present when dpkg knows it or a command of its name is on PATH (Node.js from another
# source brings its own npm).
SYSTEM_PACKAGES ?= snmpd snmp prometheus-snmp-exporter curl systemd chromium slapd ldap-utils nodejs npm dovecot-imapd

.PHONY: demo test lint typecheck unit integration migrate messages system-packages clean help

help:
	@echo "make demo     - install, start an embedded PostgreSQL, migrate, load demo data, serve on :8000"
	@echo "make test     - install, then lint, type-check and run the whole test suite"
	@echo "make lint     - ruff and mypy only"
	@echo "make migrate  - apply pending migrations to DATABASE_URL (or the embedded database)"
	@echo "make messages - add new translatable strings to a catalog (DOMAIN=inventory, default messages)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP) $(DEMO_STAMP)

# The demo needs the app and its SNMP simulator only (the `demo` extra), not the test tools.
$(DEMO_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[demo]'
	@touch $(DEMO_STAMP)

system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "missing system packages:$$missing -- install them with: sudo apt-get install$$missing" >&2; exit 1; \
	  fi; \
	fi

demo: $(DEMO_STAMP)
	$(BIN)/schoolit demo

lint: $(STAMP)
	$(BIN)/ruff check schoolit tests piccolo_conf.py $(wildcard bench)
	$(BIN)/mypy

test: $(STAMP) system-packages lint
	$(BIN)/pytest

migrate: $(STAMP)
	$(BIN)/schoolit migrate

# New strings go to one domain's catalog: `make messages DOMAIN=inventory` (default: messages).
messages: $(STAMP)
	$(BIN)/python -m schoolit.kernel.catalogs --domain $(or $(DOMAIN),messages)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
