# Two commands do everything: `make run` and `make test`. Each installs what is missing first.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

# The wasm-bindgen CLI must be exactly the version Cargo.lock pins.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ {getline; gsub(/"/, "", $$3); print $$3}' Cargo.lock)
BINARYEN_VERSION := 132.0.0
CARGO_LEPTOS_VERSION := 0.3.10
SCHEMATHESIS_VERSION := 4.32.5
TOOLS := $(CURDIR)/target/tools
WASM_OPT := $(TOOLS)/node_modules/.bin/wasm-opt
WASM_FEATURES := --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-reference-types --enable-multivalue --enable-mutable-globals
WASM_SPLIT_VERSION := 0.2.3
WASM_SPLIT := $(TOOLS)/bin/wasm-split-cli
SCHEMATHESIS_ENV := $(TOOLS)/schemathesis
# The bundle's name, set once: in Cargo.toml's cargo-leptos metadata.
OUTPUT_NAME := $(shell awk -F'"' '/^output-name/ {print $$2}' Cargo.toml)
SITE := target/site
PKG := $(SITE)/pkg
WASM_BUILD := target/wasm32-unknown-unknown/wasm-release/frontend.wasm
E2E := server/tests/e2e
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PG := $(CURDIR)/server/scripts/postgres.sh
export LEPTOS_SITE_ROOT := $(CURDIR)/$(SITE)

.PHONY: run run-two postgres test lint bench watch tools browser site server e2e-deps schemathesis clean-data fmt check

## Serve the lab on http://localhost:3000 (SQLite file under data/).
run: tools site server
	./target/release/server

## Two instances on ports 3000 and 3001 sharing one throw-away PostgreSQL (Ctrl-C stops all).
run-two: tools site server
	url="$$($(PG) start)"; trap '$(PG) stop' EXIT; echo "PostgreSQL: $$url"; \
	  DATABASE_URL="$$url" PORT=3001 ./target/release/server & \
	  DATABASE_URL="$$url" PORT=3000 ./target/release/server

## A throw-away PostgreSQL cluster under target/postgres (installs Debian's when missing).
postgres:
	$(PG) start

## Every test: unit, API (real server; a real SQLite file, then a real PostgreSQL),
## browser (real Chromium; two server processes on the PostgreSQL too), and Schemathesis
## holding the live server to its OpenAPI document.
test: tools lint site browser e2e-deps schemathesis
	cargo test --release -p app -p server
	url="$$($(PG) start)"; trap '$(PG) stop' EXIT; export LAB_TEST_POSTGRES="$$url"; \
	  cargo test --release -p server --test api && \
	  (cd $(E2E) && SCHEMATHESIS=$(SCHEMATHESIS_ENV)/bin/schemathesis node --test --test-concurrency=1 *.test.mjs)

## Formatting, the imports between files (no circle, no import from a module above), and
## clippy's lints (warnings denied), for the server and for the WASM target.
lint: tools
	cargo fmt --all -- --check
	node server/scripts/imports.mjs app/src/lib.rs frontend/src/lib.rs server/src/lib.rs server/src/main.rs
	cargo clippy -p app -p server --tests -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

## Load, replays, storms, the ceilings, memory and bundle size: prints a table with columns
## for SQLite and for one and two server processes on a throw-away PostgreSQL. Then the first
## visit and the second on slow 4G in Chromium: bytes as sent and time to interactive.
bench: tools site server browser e2e-deps
	url="$$($(PG) start)"; trap '$(PG) stop' EXIT; \
	  BENCH_POSTGRES="$$url" cargo bench -p server --bench load
	node server/benches/first_load.mjs

## Edit-and-reload development with cargo-leptos (installs it the first time: ~12 minutes).
## Its own site directory: unhashed files, served without a manifest and revalidated each load.
watch: tools
	command -v cargo-leptos >/dev/null || cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked
	PATH="$(TOOLS)/node_modules/.bin:$$PATH" LEPTOS_SITE_ROOT=$(CURDIR)/target/watch-site cargo leptos watch --split

tools:
	rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	[ "$$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $(WASM_BINDGEN_VERSION)" ] || \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force
	[ -x $(WASM_SPLIT) ] && grep -qs '"wasm_split_cli_support $(WASM_SPLIT_VERSION) ' $(TOOLS)/.crates.toml || \
	  cargo install wasm_split_cli_support --version $(WASM_SPLIT_VERSION) --features build-binary --locked --root $(TOOLS)
	[ -x $(WASM_OPT) ] && $(WASM_OPT) --version | grep -q "version $(firstword $(subst ., ,$(BINARYEN_VERSION))) " || \
	  npm install --prefix $(TOOLS) --no-save --no-audit --no-fund binaryen@$(BINARYEN_VERSION)

browser:
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium chromium-driver; }

## Schemathesis, pinned, in a virtual environment of its own (Debian's python3-venv if needed).
schemathesis:
	[ "$$($(SCHEMATHESIS_ENV)/bin/schemathesis --version 2>/dev/null)" = "schemathesis, version $(SCHEMATHESIS_VERSION)" ] || { \
	  rm -rf $(SCHEMATHESIS_ENV); \
	  python3 -m venv $(SCHEMATHESIS_ENV) 2>/dev/null || { rm -rf $(SCHEMATHESIS_ENV) && \
	    $(SUDO) apt-get update && $(SUDO) apt-get install -y python3 python3-venv && \
	    python3 -m venv $(SCHEMATHESIS_ENV); } && \
	  $(SCHEMATHESIS_ENV)/bin/pip install --quiet --disable-pip-version-check schemathesis==$(SCHEMATHESIS_VERSION); }

e2e-deps:
	cd $(E2E) && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || \
	  npm ci --no-audit --no-fund; }

## The browser bundle. The WASM is split in two (`wasm-split-cli`): what the page needs to
## become interactive, and the explaining panels, fetched after (app/src/pages/deferred.rs).
## wasm-bindgen then writes the JS for the first part, and wasm-opt shrinks both. pack.mjs
## names the set and the CSS by content hash and precompresses them (brotli, gzip), and
## pkg/manifest.json names what the page links. Each step runs only when its input changed
## (cargo's own check takes a second), so a second `make site` costs seconds, not the minute
## wasm-opt takes.
site:
	cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
	mkdir -p $(PKG)
	# Into a scratch directory first: an interrupted build never leaves a half-made file
	# newer than its input, which the check would then take for done.
	if [ $(WASM_BUILD) -nt $(SITE)/wasm/$(OUTPUT_NAME)_bg.wasm ]; then \
	  rm -rf $(SITE)/split $(SITE)/wasm.tmp && mkdir -p $(SITE)/wasm.tmp && \
	  $(WASM_SPLIT) --target web --out-name $(OUTPUT_NAME) $(WASM_BUILD) $(SITE)/split && \
	  wasm-bindgen --target web --no-typescript --keep-lld-exports --out-dir $(SITE)/wasm.tmp \
	    --out-name $(OUTPUT_NAME) $(SITE)/split/$(OUTPUT_NAME).wasm && \
	  rm $(SITE)/split/$(OUTPUT_NAME).wasm && \
	  for part in $(SITE)/wasm.tmp/$(OUTPUT_NAME)_bg.wasm $(SITE)/split/*.wasm; do \
	    $(WASM_OPT) -Oz $(WASM_FEATURES) -o $(SITE)/wasm.tmp/$$(basename $$part).opt $$part && \
	    mv $(SITE)/wasm.tmp/$$(basename $$part).opt $(SITE)/wasm.tmp/$$(basename $$part) || exit 1; \
	  done && \
	  cp $(SITE)/split/*.js $(SITE)/wasm.tmp/ && \
	  rm -rf $(SITE)/wasm && mv $(SITE)/wasm.tmp $(SITE)/wasm; \
	fi
	cp -p style/main.css $(PKG)/$(OUTPUT_NAME).css
	node frontend/pack.mjs $(PKG) $(OUTPUT_NAME) $(SITE)/wasm

## Built with its tests, as `make test` builds it: the tests' dependencies turn on features
## (an HTTP client's) in crates the server shares, and a build without them would compile those
## crates and the server a second time.
server:
	cargo build --release -p server --bins --tests

clean-data:
	rm -rf data

fmt:
	cargo fmt --all

check:
	cargo check -p server --tests
	cargo check -p frontend --target wasm32-unknown-unknown
