# Kiemen — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KIEMEN := $(BIN)/kiemen
PORT ?= $(or $(KIEMEN_PORT),5000)
APT_PACKAGES := chromium default-jre-headless openrefine nginx virtuoso-opensource
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test setup load serve lint typecheck test-deps assets bench bench-report export clean messages messages-check pot

run: setup load  ## Set up, load everything bundled, serve http://127.0.0.1:5000
	$(KIEMEN) serve --port $(PORT)

test: setup test-deps lint  ## Set up, install test dependencies and run every test
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

setup: $(VENV)/.installed assets

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

assets: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

load: setup
	$(KIEMEN) load

serve: setup
	$(KIEMEN) serve --port $(PORT)

export: setup
	$(KIEMEN) export

# Apt packages the tests need: Chromium for the browser tests, a Java runtime for HermiT,
# OpenRefine as a real client of the reconciliation service, nginx for the reverse-proxy and
# replica tests, Virtuoso for the external-store test.
test-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	command -v openrefine >/dev/null || missing="$$missing openrefine"; \
	test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	command -v virtuoso-t >/dev/null || missing="$$missing virtuoso-opensource"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: setup
	$(BIN)/ruff check cli core portal publishing loaders queries tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Interface texts (portal/translations/{nl,en}/LC_MESSAGES/messages.po, keys as msgids): extract
# every key used in code and templates (babel.cfg; the keywords are portal.i18n's t, tn, text_in
# and N_, and core.messages' msg, with which the layers below the portal give their texts as keys;
# MESSAGE_SOURCES are the packages searched), then bring both catalogues in line: new keys appear
# untranslated, unused ones go.
# `messages-check` changes nothing and fails if the catalogues are not in line (the tests run it).
# No source locations in the catalogues: the key says where a text belongs, and moving code
# between files must not put the catalogues out of line.
POT ?= build/messages.pot
CATALOGUES ?= portal/translations
BABEL_KEYWORDS := --no-default-keywords -k t -k tn:1,1 -k text_in:2 -k N_ -k msg
MESSAGE_SOURCES ?= portal publishing loaders core cli
BABEL_UPDATE := --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date

pot:
	@mkdir -p $(dir $(POT))
	$(BIN)/pybabel -q extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
	  --project=Kiemen --version="" -o $(POT) $(MESSAGE_SOURCES)

messages: setup pot
	$(BIN)/pybabel -q update -i $(POT) -d $(CATALOGUES) $(BABEL_UPDATE)
	$(BIN)/python -m portal.translations.check $(CATALOGUES)

messages-check: pot
	$(BIN)/pybabel -q update -i $(POT) -d $(CATALOGUES) $(BABEL_UPDATE) --check
	$(BIN)/python -m portal.translations.check $(CATALOGUES)

bench: setup
	$(BIN)/python bench/load_benchmark.py

# The README's performance table, from the benchmarks' JSON in bench/out/ (bench/report.py).
bench-report: setup
	$(BIN)/python bench/report.py --write

clean:
	rm -rf $(VENV) node_modules var build *.egg-info
