# Listflow: `make run` starts everything locally; `make test` runs the whole suite against
# real Kafka and FerretDB. Both fetch what is missing (uv, Python packages, Kafka jars,
# FerretDB) into $(CACHE), outside the clone, so later clones on this machine reuse it.

SHELL := /bin/bash
UV_VERSION := 0.13.8
CACHE := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/listflow
UV_HOME := $(CACHE)/uv-$(UV_VERSION)
UV := $(UV_HOME)/bin/uv
export UV_CACHE_DIR := $(CACHE)/uv-cache
# Use the machine's Python 3.11; never download an interpreter.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := python3.11
# Trust the system's certificate store (as pip, git and curl do), not only uv's bundled roots.
export UV_SYSTEM_CERTS := 1

.PHONY: help run test test-unit fuzz lint format infra-up infra-down infra-wipe bench sync tools console console-test browser

# The operator console (console/): npm packages from package-lock.json, built into
# console/dist, which the gateway serves at /. Rebuilt when a source is newer than the build.
export npm_config_cache := $(CACHE)/npm
CONSOLE_SOURCES := $(shell find console/src console/index.html console/vite.config.ts console/tsconfig.json -type f 2>/dev/null)

help:
	@echo "make run        start Kafka, FerretDB, every service and the gateway (http://127.0.0.1:8000)"
	@echo "make test       the whole suite against real Kafka and FerretDB"
	@echo "make test-unit  the fast, pure unit tests only (and the console's vitest tests)"
	@echo "make fuzz       the API fuzz and property tests, longer (FUZZ_EXAMPLES=200 PROPERTY_EXAMPLES=5500)"
	@echo "make lint       ruff and mypy"
	@echo "make bench      a large upload measured end to end (BENCH_ROWS=100000 BENCH_CONTACTS=1 BENCH_PROFILE=0 BENCH_PORTAL_ONLY=0 BENCH_PREVIEW_ONLY=0)"
	@echo "make infra-up / infra-down / infra-wipe   the local Kafka and FerretDB (dev profile)"

$(UV):
	@command -v python3.11 >/dev/null || { echo "python3.11 is required"; exit 1; }
	python3.11 -m venv $(UV_HOME)
	$(UV_HOME)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

tools:
	@for tool in java mvn go; do command -v $$tool >/dev/null || { echo "$$tool is required (Java 17 + Maven for Kafka, Go for FerretDB)"; exit 1; }; done

sync: $(UV)
	$(UV) sync --frozen --all-packages

run: sync tools console
	$(UV) run --frozen listflow-dev run

test: sync tools console browser console-test
	$(UV) run --frozen listflow-dev infra wipe --profile test
	$(UV) run --frozen listflow-dev infra up --profile test
	set -o pipefail; status=0; \
	$(UV) run --frozen pytest $(PYTEST_ARGS) || status=$$?; \
	$(UV) run --frozen listflow-dev infra down --profile test; \
	exit $$status

# The fuzz of test_fuzz_apis.py with more examples per operation and mode, and the property
# tests of the reader and the normalizers with 5,500 each (about 100,000 cases): a night's run.
fuzz: sync tools
	$(UV) run --frozen listflow-dev infra up --profile test
	set -o pipefail; status=0; \
	LISTFLOW_FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),200) \
	LISTFLOW_FUZZ_SERVICES=ingest,contacts,leads,campaigns,portal \
	LISTFLOW_PROPERTY_EXAMPLES=$(or $(PROPERTY_EXAMPLES),5500) $(UV) run --frozen pytest \
		tests/integration/test_fuzz_apis.py tests/integration/test_hostile_inputs.py \
		libs/schemas/tests/test_normalize_properties.py \
		services/ingest/tests/test_reader_properties.py -q $(PYTEST_ARGS) || status=$$?; \
	$(UV) run --frozen listflow-dev infra down --profile test; \
	exit $$status

test-unit: sync console/node_modules/.package-lock.json console-test
	$(UV) run --frozen pytest services libs tools -q

console/node_modules/.package-lock.json: console/package.json console/package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 20 with npm is required for the console"; exit 1; }
	cd console && npm ci --no-audit --no-fund

console/dist/index.html: console/node_modules/.package-lock.json $(CONSOLE_SOURCES)
	cd console && npm run build

console: console/dist/index.html

# The console's unit tests (vitest): the parts of it that hold logic.
console-test: console/node_modules/.package-lock.json
	cd console && npx vitest run

# The browser tests drive Debian's Chromium (a test tool's own browser download fails here).
browser:
	@command -v chromium >/dev/null || { \
		[ "$$(id -u)" = 0 ] || { echo "chromium is missing: apt-get install chromium (as root)"; exit 1; }; \
		echo "installing Chromium from Debian's packages"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; }

lint: sync
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy libs/schemas/src libs/kit/src services/ingest/src services/contacts/src services/leads/src services/campaigns/src services/portal/src tools/devstack/src

format: sync
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

# Throughput, memory and the limits beneath them (docs/performance.md). BENCH_ROWS sets the
# size, BENCH_CONTACTS the contacts consumer processes, BENCH_PROFILE=1 samples with py-spy,
# BENCH_INGEST_ONLY=1 streams the file through ingest alone (a million rows in minutes),
# BENCH_LOG_LEVEL=INFO keeps per-batch timings in the service logs (.local/bench/logs),
# BENCH_RESTART_CONTACTS=1 restarts contacts before the update file (as after a deploy),
# BENCH_PREVIEW_ONLY=1 loads the first file and times the preview of the second (BENCH_PREVIEW_RUNS),
# BENCH_QUICK=1 runs only the two uploads (after an idle window) and the insert_many limit.
bench: sync tools
	$(UV) run --frozen listflow-bench --rows $(or $(BENCH_ROWS),100000) \
		--contacts-instances $(or $(BENCH_CONTACTS),1) $(if $(filter 1,$(BENCH_PROFILE)),--profile) \
		$(if $(filter 1,$(BENCH_INGEST_ONLY)),--ingest-only) $(if $(filter 1,$(BENCH_PORTAL_ONLY)),--portal-only) \
		$(if $(filter 1,$(BENCH_CAMPAIGNS_ONLY)),--campaigns-only) $(if $(filter 1,$(BENCH_PREVIEW_ONLY)),--preview-only) \
		$(if $(filter 1,$(BENCH_QUICK)),--quick)

infra-up: sync tools
	$(UV) run --frozen listflow-dev infra up

infra-down: sync
	$(UV) run --frozen listflow-dev infra down

infra-wipe: sync
	$(UV) run --frozen listflow-dev infra wipe
