# homelab.immich — one entry point for people and CI. Everything runs from the checkout's .venv,
# which `make setup` creates; the testbed builds its Go binaries into ~/.cache/homelab-immich.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
TESTBED := tests/testbed/testbed
UPSTREAM := $(BIN)/python tests/upstream/immich/upstream
KIND := tests/kind/kind
# make unit runs the Immich module tests on the emulator; unit-real on the real servers (add emulator to compare in one run).
IMMICH_REAL_BACKENDS ?= real-2.5.5 real-3.1.0
INVENTORY ?= inventories/local

.PHONY: help setup demo test lint sanity unit roles molecule reliability bench docs testbed-up testbed-down clean \
	upstream-immich upstream-immich-down unit-real contract real-immich kind kind-down molecule-kind

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

# The stamp is keyed by requirements.txt, so an unchanged file costs nothing on the next run.
$(VENV)/.installed: requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

setup: $(VENV)/.installed ## Create .venv with Ansible, the collections' Python dependencies and the test tools

# TESTBED_IMMICH=real: the immich_library role sets up the real Immich 2.5.5 (tests/upstream) instead of the
# emulator; its import path is the runner's seeded photos folder (the real server validates it on its own disk),
# and its first scan really imports the photos.
TESTBED_IMMICH ?= emulator
demo: setup testbed-up ## Start the testbed and converge site.yml against it (TESTBED_IMMICH=real: the real Immich server)
ifeq ($(TESTBED_IMMICH),real)
	$(UPSTREAM) up 2.5.5 >/dev/null
	eval "$$($(UPSTREAM) env)"; ansible-playbook site.yml -i $(INVENTORY) -e immich_library_api_url=$$IMMICH_REAL_2_5_5_URL \
	  -e "{\"immich_library_photos_mount\": \"$$IMMICH_REAL_PHOTOS\", \"immich_library_import_paths\": [\"$$IMMICH_REAL_PHOTOS\"]}"
else
	ansible-playbook site.yml -i $(INVENTORY)
endif

# The stages of `make test`, in order; tests/lib/stages prints the time of each.
TEST_STAGES := lint sanity unit real-immich roles molecule molecule-kind reliability

test: setup ## Everything CI runs: lint, sanity, unit, the real Immich servers, role, molecule (testbed and kind) and reliability tests, each timed
	tests/lib/stages $(TEST_STAGES)

# ansible-lint installs the collection under test into ANSIBLE_HOME (default ~/.ansible) and prefers that copy
# afterwards: a checkout of its own keeps another checkout's copy from shadowing this one.
lint: setup ## ansible-lint (production profile) and yamllint
	yamllint --strict .
	ANSIBLE_HOME=$(CURDIR)/.ansible ansible-lint

sanity: setup ## ansible-test sanity on a copy laid out as ansible_collections/homelab/immich
	tests/sanity/run.sh

unit: setup ## pytest: module_utils, modules and emulators; then the controller-side plugins and the wrong-type table, in a process of their own
	pytest
	pytest -o addopts="-ra --strict-markers" tests/unit/controller
	pytest -s -o addopts="-ra --strict-markers" tests/inputs

roles: setup ## Per-role input and data-safety tests against a converged testbed
	$(TESTBED) up
	ansible-playbook site.yml -i $(INVENTORY)
	pytest -p no:cacheprovider tests/roles

molecule: setup ## molecule test: testbed up, converge, idempotence, verify, testbed down
	molecule test -s default

reliability: setup ## Faults, secrets in -vvv output, bad inputs, data safety (own testbed instance)
	pytest -c tests/reliability/pytest.ini tests/reliability

bench: setup ## Time a cold converge, a no-op re-run and a --check run against the kubectl floor
	$(BIN)/python tests/bench/run.py

docs: setup ## Rewrite the variables section of each role's README from its meta/argument_specs.yml
	$(BIN)/python tests/docs/role_readmes.py

kind: ## Build (first time, offline) and start a real one-node kind cluster with its own Docker engine
	$(KIND) up

kind-down: ## Delete the kind cluster and stop its Docker engine (the build cache stays)
	$(KIND) down

molecule-kind: setup ## molecule test -s kind: kind up, converge on real pods, idempotence, verify, kind down
	molecule test -s kind

testbed-up: setup ## Build (first time) and start the local control plane and emulators
	$(TESTBED) up

testbed-down: ## Stop the testbed and remove its runtime files (the build cache stays)
	$(TESTBED) down

upstream-immich: setup ## Build (first time; cached) and start the real Immich 2.5.5 and 3.1.0, PostgreSQL 15 + pgvector, Valkey
	$(UPSTREAM) up

upstream-immich-down: ## Stop the real Immich servers and their databases (the build cache stays)
	$(UPSTREAM) down

unit-real: upstream-immich ## The Immich module tests on the emulator and on the real 2.5.5 and 3.1.0 servers
	IMMICH_TEST_BACKENDS="$(IMMICH_REAL_BACKENDS)" pytest -p no:cacheprovider tests/unit/immich

contract: upstream-immich ## Same requests to the emulator and the real Immich of each version; prints the difference table
	pytest -p no:cacheprovider -s tests/contract

real-immich: setup ## The real-server suites of make test: unit-real, then contract; the servers are stopped after
	rc=0; $(MAKE) --no-print-directory unit-real contract || rc=$$?; $(UPSTREAM) down; exit $$rc

clean: testbed-down ## Remove the venv and test output (the build cache in ~/.cache/homelab-immich stays)
	rm -rf $(VENV) tests/output .pytest_cache
