# Swiftlet — the two commands a new user needs are `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
SWIFT ?= swift
DEB_PACKAGES := libnghttp2-dev zlib1g-dev libyaml-dev
VENV := .venv
PYTHON := $(VENV)/bin/python
PY_PACKAGES := pytest==8.3.4 pyyaml opentelemetry-sdk==1.29.0 opentelemetry-exporter-otlp-proto-http==1.29.0 opentelemetry-proto==1.29.0
FUZZ_SECONDS ?= 20
# Non-PIE, as Go links the Collector on amd64: the loader then applies no relative relocations,
# which keeps ~1 MiB of the binary out of the resident set (see README, Footprint).
RELEASE_FLAGS := -c release --static-swift-stdlib --product swiftlet -Xlinker -no-pie
ARGS ?=

.PHONY: deps build release run test unit e2e fuzz fuzz-smoke footprint bench clean

## Installs the missing Debian packages (apt-get as root; otherwise prints the command and stops).
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "Missing Debian packages. Run:  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_FLAGS)

## Builds a release binary and starts it with the embedded default config (ARGS="--config x.yaml" to change).
run: release
	exec .build/release/swiftlet $(ARGS)

$(VENV)/.ready: Makefile
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check $(PY_PACKAGES)
	touch $@

## The full suite: unit tests, end-to-end tests against the built binary, short fuzz runs.
test: deps $(VENV)/.ready
	$(SWIFT) build
	$(SWIFT) test
	SWIFTLET_BIN=$(CURDIR)/.build/debug/swiftlet $(PYTHON) -m pytest -q Tests/EndToEnd
	$(MAKE) fuzz-smoke

unit: deps
	$(SWIFT) test

e2e: build $(VENV)/.ready
	SWIFTLET_BIN=$(CURDIR)/.build/debug/swiftlet $(PYTHON) -m pytest -q Tests/EndToEnd

## Each decoder's libFuzzer target for FUZZ_SECONDS over a seed corpus made from the fixtures.
fuzz-smoke:
	scripts/fuzz.sh FuzzOTLPProto $(FUZZ_SECONDS)
	scripts/fuzz.sh FuzzOTLPJSON $(FUZZ_SECONDS)

fuzz:
	scripts/fuzz.sh FuzzOTLPProto 600
	scripts/fuzz.sh FuzzOTLPJSON 600

## Stripped binary size, idle RSS, time from exec to a 200 from the health check.
footprint: release
	python3 scripts/footprint.py .build/release/swiftlet 10

## Benchmarks are figures, never tests: run them side by side with peers on the same machine.
bench: footprint

clean:
	rm -rf .build $(VENV) Fuzz/.build
