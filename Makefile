# Meridian: `make run` starts the platform, `make test` runs every test. Both set themselves up.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
UV_VERSION := 0.13.9
BOOT := .local/bootstrap
UV := $(BOOT)/bin/uv
VENV := .venv
KAFKA_LIBS := .local/kafka/libs
BQEMU_VENV := .local/bqemulator
# Where maturin (run by uv) builds the streaming hot path: kept between runs, so a change rebuilds only it.
# Its tests are Python's (tests/streaming/native): they hold it to the Python code it must agree with.
export CARGO_TARGET_DIR := $(CURDIR)/.local/cargo-target
NATIVE := streaming/native
NATIVE_SOURCES := $(NATIVE)/Cargo.toml $(NATIVE)/Cargo.lock $(NATIVE)/pyproject.toml $(wildcard $(NATIVE)/src/*.rs $(NATIVE)/*.pyi)

.PHONY: help run test checks lint typecheck pytest bench system-deps setup kafka clean dbt-manifest dbt-lint bqemulator deploy-tools image-base image dashboards

help:
	@echo "make run    - start Kafka, the generator and Dagster (UI on http://127.0.0.1:3000)"
	@echo "make test   - set up, then lint, type-check and run the whole test suite"
	@echo "make bench  - run the benchmarks in bench/"

# Debian packages, installed only when missing: Java 17 and Maven fetch and run the Kafka broker;
# Chromium is the browser the UI tests drive (no browser is ever downloaded by a test tool);
# cargo builds the streaming hot path (streaming/native; its crates come from crates.io), rustfmt lints it.
# Prometheus (server and promtool) runs the alert rules for real; buildah and debootstrap build the image without a
# Docker daemon; Go builds the deployment checkers (deploy-tools) and Node runs the CRD schemas.
# PostgreSQL's server keeps the Dagster instance (the tests start it; `make run` with
# MERIDIAN_DAGSTER_STORAGE=postgres): found on PATH or in /usr/lib/postgresql/<version>/bin.
system-deps:
	@missing=""; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	command -v cargo >/dev/null || missing="$$missing cargo"; \
	command -v rustfmt >/dev/null || missing="$$missing rustfmt"; \
	command -v mvn >/dev/null || missing="$$missing maven"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	{ command -v initdb && command -v postgres; } >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  || missing="$$missing postgresql"; \
	command -v go >/dev/null || missing="$$missing golang-go"; \
	command -v node >/dev/null || missing="$$missing nodejs npm"; \
	{ command -v prometheus && command -v promtool; } >/dev/null || missing="$$missing prometheus"; \
	command -v buildah >/dev/null || missing="$$missing buildah"; \
	command -v debootstrap >/dev/null || missing="$$missing debootstrap"; \
	if [ -n "$$missing" ]; then \
	  echo "installing from Debian:$$missing"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi

# uv resolves and installs our dependency set in seconds (pip's resolver backtracks for 20+ minutes).
$(UV):
	$(PYTHON) -m venv $(BOOT)
	$(BOOT)/bin/pip install -q "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml $(NATIVE_SOURCES)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

# The project's virtualenv (with the Rust build), the Kafka jars and the emulator's virtualenv are
# independent downloads and builds: made side by side, then dbt parses with the project's dbt.
setup: system-deps
	@$(MAKE) --no-print-directory -j3 $(VENV)/.synced $(KAFKA_LIBS)/.stamp bqemulator deploy-tools image-base
	@$(MAKE) --no-print-directory dbt-manifest

# The BigQuery emulator the BigQuery-target tests use, in its own virtualenv (it pins its own sqlglot).
$(BQEMU_VENV)/.synced: $(UV) deploy/local/bqemulator/uv.lock deploy/local/bqemulator/pyproject.toml
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(BQEMU_VENV) $(UV) sync --frozen --python $(PYTHON) --project deploy/local/bqemulator
	@touch $@

bqemulator: $(BQEMU_VENV)/.synced

# The tools that check deploy/ offline, each built or fetched once into .local/ (like the Kafka jars):
# helm, kubeconform and tflint from the Go module proxy (helm's build takes ~3 minutes and 1 GB), checkov and
# kubernetes-validate's Kubernetes schemas in their own virtualenv (checkov pins half of PyPI), and the
# CRD schemas (Argo Rollouts, Argo CD, KEDA, Prometheus Operator) from npm at pinned versions.
TOOLS := .local/bin
HELM_VERSION := v3.22.0
KUBECONFORM_VERSION := v0.8.0
TFLINT_VERSION := v0.64.0
OPENTOFU_VERSION := v1.12.6
CHECKOV := .local/checkov
CRD_VALIDATOR := .local/crd-validator
$(TOOLS)/helm:
	GOBIN=$(CURDIR)/$(TOOLS) GOFLAGS=-mod=mod go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
$(TOOLS)/kubeconform:
	GOBIN=$(CURDIR)/$(TOOLS) go install github.com/yannh/kubeconform/cmd/kubeconform@$(KUBECONFORM_VERSION)
$(TOOLS)/tflint:
	GOBIN=$(CURDIR)/$(TOOLS) go install github.com/terraform-linters/tflint@$(TFLINT_VERSION)
# `terraform` for fmt and validate: the machine's own if it has one, else OpenTofu built from the Go module proxy
# (MPL; ~4.5 minutes and 1.8 GB once). Both read deploy/terraform the same way (required_version >= 1.6).
$(TOOLS)/terraform:
	deploy/tools/terraform.sh $(CURDIR)/$(TOOLS)/terraform $(OPENTOFU_VERSION)
$(CHECKOV)/.synced: $(UV) deploy/tools/checkov-requirements.txt
	$(UV) venv --allow-existing --python $(PYTHON) $(CHECKOV)
	VIRTUAL_ENV=$(CURDIR)/$(CHECKOV) $(UV) pip install -q -r deploy/tools/checkov-requirements.txt
	@touch $@
$(CRD_VALIDATOR)/.synced: deploy/tools/crd-validator/package.json deploy/tools/crd-validator/package-lock.json
	rm -rf $(CRD_VALIDATOR) && mkdir -p $(CRD_VALIDATOR)
	cp deploy/tools/crd-validator/package.json deploy/tools/crd-validator/package-lock.json $(CRD_VALIDATOR)/
	cd $(CRD_VALIDATOR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deploy-tools: $(TOOLS)/helm $(TOOLS)/kubeconform $(TOOLS)/tflint $(TOOLS)/terraform $(CHECKOV)/.synced $(CRD_VALIDATOR)/.synced

# The container image's Debian base, made once by debootstrap (no registry is reachable here to pull one from) and
# imported into buildah's store; both live in the build cache ~/.cache/meridian/images (deploy/docker/build.sh),
# keyed by rootfs.sh's content, so a fresh clone on the same machine neither debootstraps nor rebuilds unchanged layers.
image-base:
	deploy/docker/build.sh --base

# The image itself (tests/deploy/test_image.py builds it too, and runs it).
image: setup
	deploy/docker/build.sh

# Grafana dashboards: regenerate the committed JSON from deploy/monitoring/dashboards (a test compares them).
dashboards: $(VENV)/.synced
	$(VENV)/bin/python deploy/monitoring/dashboards/build.py

# dbt's manifest is prepared at build time, never when Dagster imports the definitions.
DBT_SOURCES := $(shell find dbt_project streaming/events/reference -name '*.sql' -o -name '*.yml' -o -name '*.csv' 2>/dev/null | grep -v /target/)
dbt_project/target/manifest.json: $(VENV)/.synced $(DBT_SOURCES)
	cd dbt_project && ../$(VENV)/bin/dbt parse --profiles-dir . --quiet

dbt-manifest: dbt_project/target/manifest.json

# The Apache Kafka broker's jars from Maven Central (no vendor download).
$(KAFKA_LIBS)/.stamp: deploy/local/kafka/pom.xml
	rm -rf $(KAFKA_LIBS)
	mvn -q -B -f deploy/local/kafka/pom.xml dependency:copy-dependencies \
	  -DoutputDirectory=$(CURDIR)/$(KAFKA_LIBS) -DincludeScope=runtime
	@touch $@

kafka: system-deps $(KAFKA_LIBS)/.stamp

run: setup
	$(VENV)/bin/meridian up

lint: $(VENV)/.synced dbt-manifest
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	cd dbt_project && ../$(VENV)/bin/sqlfluff lint models --nocolor
	cargo fmt --check --manifest-path $(NATIVE)/Cargo.toml

typecheck: $(VENV)/.synced
	$(VENV)/bin/mypy

pytest: setup
	$(VENV)/bin/pytest

# Lint and type-check side by side (each is single-threaded), without the tests.
checks: setup
	@$(MAKE) --no-print-directory -j2 lint typecheck

# Lint first (a quarter of a minute), then the tests with mypy beside them: mypy is single-threaded
# and takes over a minute on a fresh clone, a minute that would leave a core idle. Either failing fails.
test: setup lint
	@mkdir -p .local/logs; \
	$(VENV)/bin/mypy > .local/logs/mypy.log 2>&1 & types=$$!; \
	$(VENV)/bin/pytest; tests=$$?; \
	wait $$types; typed=$$?; \
	echo "mypy (beside the tests):"; cat .local/logs/mypy.log; \
	test $$tests -eq 0 && test $$typed -eq 0

bench: setup
	$(VENV)/bin/python -m bench.bronze_ingest
	$(VENV)/bin/python -m bench.warehouse_build
	$(VENV)/bin/python -m bench.quality_checks
	$(VENV)/bin/python -m bench.streaming_service
	$(VENV)/bin/python -m bench.edge_collector
	$(VENV)/bin/python -m bench.replication

clean:
	rm -rf $(VENV) .local
