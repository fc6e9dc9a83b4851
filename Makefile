# The two commands of the README:
#   make local   set up (first run) and serve the API on http://127.0.0.1:9000
#   make test    set up (first run) and run every check CI runs
# and: make bench   cold-start/size/instruction benchmark of every function (release)
#      make sam-local-test  the built API under `sam local start-api` (Docker; docs/local-gateway.md)
#      make -s token a platform-admin bearer token for the local API
#      make openapi  regenerate openapi.json from the code
#      make -s bus-events  the change events that reached the local bus (make local running)
#      make dns-record NAME=... VALUE=...  a TXT record on the local DNS server (domain verification)
#      make -s invitations  the owner invitations the local SES sent (make local running)
#      make accept-invitation INVITATION=inv_... EMAIL=... SUB=ada  accept one as user SUB
#      make aws-role ARN=... EXTERNAL_ID=...  a local customer role trusting the platform
#      make chaos   a bounded load run with AWS faults injected, then an audit (docs/faults.md)
#      make console-test  the console's browser tests (tests/console/, chromium via Playwright)
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
VENV  := .venv
STAMP := $(VENV)/.installed-$(shell sha1sum tests/support/requirements.txt | cut -c1-12)
SAM   := SAM_CLI_TELEMETRY=0 SAM_CLI_ENABLE_LANGUAGE_EXTENSIONS=1 PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/sam
FUNCTIONS := $(notdir $(wildcard functions/*))
BENCH_ARGS ?=
CHECKOV_VENV  := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(shell sha1sum tests/support/checkov-requirements.txt | cut -c1-12)
CONSOLE_VENV  := .venv-console
CONSOLE_STAMP := $(CONSOLE_VENV)/.installed-$(shell sha1sum tests/support/console-requirements.txt | cut -c1-12)

# One compiled world for every cargo command: cargo lambda (and so `sam build`) always
# names its target triple, which gives it a build directory of its own; naming the host's
# triple for every other cargo command too makes `cargo test`, `cargo lambda watch` and a
# debug `sam build` share one build instead of compiling every dependency twice.
export CARGO_BUILD_TARGET ?= $(shell rustc -vV | sed -n 's/^host: //p')

# `sam build` compiles with [profile.release] of Cargo.toml (fat LTO, one codegen unit):
# what deploys and `make bench` use. SAM_BUILD_MODE=debug builds the debug binaries the
# tests already compiled instead (`make test` does: its checks never judge speed or size).
# Run `make sam-build` again before deploying after a test.
SAM_BUILD_MODE ?=
export SAM_BUILD_MODE

.PHONY: chaos console-test invitations accept-invitation aws-role bus-events dns-record contract openapi setup local token api-key test lint build unit events sam-validate checkov \
  checkov-setup console-setup sam-build sam-local-test sam-local bench bench-reference bench-check clean

# The local API's token settings and DynamoDB (Cargo.toml, [workspace.metadata.lambda.watch.env]).
LOCAL_ENV := JWT_ISSUER=tenant-api-local JWT_AUDIENCE=tenant-api \
  JWT_HS256_SECRET=local-development-only-secret-0123456789 TABLE_NAME=tenants \
  DYNAMODB_ENDPOINT=http://127.0.0.1:8042 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
  AWS_REGION=us-east-1
TOKEN_ARGS ?=
KEY_ARGS ?= --name local-admin

## Python tools (moto, cargo-lambda, SAM CLI, cfn-lint) in a local virtualenv.
setup: $(STAMP)
$(STAMP): tests/support/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/support/requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

local: setup
	tests/support/local-api.sh

# A bearer token for the local API: `export TOKEN=$$(make -s token)`. Other callers:
# make -s token TOKEN_ARGS="--sub alice --role tenant_admin --tenant tenant_..."
token:
	@$(LOCAL_ENV) cargo run --quiet --bin tenantctl -- token $(TOKEN_ARGS)

# An API key in the local table (make local must be running): `make -s api-key`.
api-key:
	@$(LOCAL_ENV) cargo run --quiet --bin tenantctl -- create-api-key $(KEY_ARGS)

# The change events the local bus delivered since the last call (make local must be
# running); WAIT=10 keeps waiting that many seconds for more, JSON=1 prints each event.
WAIT ?= 0
bus-events:
	@$(VENV)/bin/python tests/support/devpump.py print-events --wait $(WAIT) $(if $(JSON),--json)

# The owner invitations the local SES sent (make local must be running).
invitations:
	@$(VENV)/bin/python tests/support/devpump.py invitations

# Accepts invitation INVITATION as user SUB (default ada) signed in with the invited
# address EMAIL (verified), over the local API.
SUB ?= ada
accept-invitation:
	@test -n "$(INVITATION)" -a -n "$(EMAIL)" || { echo "usage: make accept-invitation INVITATION=inv_... EMAIL=<the invited address> [SUB=ada]"; exit 2; }
	@token=$$($(LOCAL_ENV) cargo run --quiet -p tenant-shared --bin tenantctl -- token --sub "$(SUB)" --email "$(EMAIL)"); \
	  curl -s -X POST 127.0.0.1:9000/v1/invitations/accept -H "authorization: Bearer $$token" \
	    -H 'content-type: application/json' -d '{"token": "$(INVITATION)"}'; echo

# A customer role in the local IAM that trusts the platform with EXTERNAL_ID, so that a
# tenant's aws-integration step succeeds (moto's STS is made to honour trust policies).
aws-role:
	@test -n "$(ARN)" || { echo "usage: make aws-role ARN=arn:aws:iam::123456789012:role/tenant-api-x [EXTERNAL_ID=...]"; exit 2; }
	@$(VENV)/bin/python tests/support/localdb.py role --endpoint http://127.0.0.1:8042 --arn "$(ARN)" $(if $(EXTERNAL_ID),--external-id "$(EXTERNAL_ID)")

# Publishes a TXT record on the local DNS server (make local must be running), e.g. the
# record POST /v1/tenants/{id}/domains answered: make dns-record NAME=_tenant-api-verification.acme.example VALUE=tenant-api-verification=...
dns-record:
	@$(VENV)/bin/python tests/support/localdns.py publish --records .local/dns "$(NAME)" "$(VALUE)"

# openapi.json is generated from the route table and the types (a test fails when stale).
openapi:
	cargo run --quiet --bin tenantctl -- openapi > openapi.json

# schemathesis against the live local API (docs/tests.md, "The contract, from outside").
contract: setup
	tests/support/contract.sh

# Every check CI runs, stage by stage (tests/support/stages.sh): lint build unit events
# contract chaos console-test sam-validate checkov sam-build bench-check sam-local-test, with
# setup, checkov's virtualenv, the console tests' tools (console-setup) and the Docker images
# in the background; each stage's time is printed at the end and kept in
# target/test-timings.txt.
test:
	@tests/support/stages.sh

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

# Every binary and test harness, in one cargo invocation (their links run side by side).
build:
	cargo build --workspace --bins --tests

unit: setup
	@mkdir -p target
	cargo test --workspace 2>&1 | tee target/test-output.txt

events: setup
	tests/support/invoke-events.sh

sam-validate: setup
	$(SAM) validate --lint

# checkov over template.yaml, and over it with its Fn::ForEach loops expanded (checkov does
# not expand them, so it would not see the per-function log groups and alarms otherwise).
# Skips are made in each resource's Metadata, with their reasons.
checkov: setup checkov-setup
	@mkdir -p target
	$(VENV)/bin/python tests/support/localdb.py expand --output target/template.expanded.json
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation \
	  -f template.yaml -f target/template.expanded.json
checkov-setup: $(CHECKOV_STAMP)
$(CHECKOV_STAMP): tests/support/checkov-requirements.txt
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/support/checkov-requirements.txt
	rm -f $(CHECKOV_VENV)/.installed-*
	touch $@

# The console's browser tests' tools: Playwright, axe and pytest in .venv-console, and
# Debian's chromium (apt-get, only when /usr/bin/chromium is missing; root or sudo).
console-setup: $(CONSOLE_STAMP)
	tests/support/chromium-setup.sh
$(CONSOLE_STAMP): tests/support/console-requirements.txt
	python3 -m venv $(CONSOLE_VENV)
	$(CONSOLE_VENV)/bin/pip install --quiet --disable-pip-version-check --upgrade pip
	$(CONSOLE_VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/support/console-requirements.txt
	rm -f $(CONSOLE_VENV)/.installed-*
	touch $@

# CARGO_LAMBDA_COMPILER=cargo builds with the host toolchain (no zig needed for x86_64).
sam-build: setup
	CARGO_LAMBDA_COMPILER=cargo $(SAM) build

# The built API under `sam local start-api`, offline (Docker; images built from Debian
# packages when missing): a tenant's life through SAM's gateway (docs/local-gateway.md).
sam-local-test: sam-build
	tests/support/sam-local-test.sh

# The same setup, serving the built API on http://127.0.0.1:3000 until Ctrl-C.
sam-local: setup
	tests/support/sam-local-test.sh --serve 3000

# The benchmark's floor: the hello-world lambda_http reference (tests/bench/hello), a
# release bootstrap built the same way but on its own, so that its dependency features are
# its own and do not touch the functions' (with SAM_BUILD_MODE=debug, the debug build the
# tests share, like the functions').
CARGO_LAMBDA := CARGO_LAMBDA_COMPILER=cargo PATH="$(CURDIR)/$(VENV)/bin:$$PATH" cargo lambda
bench-reference: setup
	$(CARGO_LAMBDA) build $(if $(filter debug,$(SAM_BUILD_MODE)),,--release) --bin hello-world

# Release bootstraps exactly as sam build makes them, then the benchmark (docs/performance.md).
bench: setup bench-reference
	$(CARGO_LAMBDA) build --release $(addprefix --bin ,$(FUNCTIONS))
	cargo run --quiet --bin lambda-bench -- $(BENCH_ARGS)

# The benchmark's correctness checks (responses, DynamoDB request shapes) on the bootstraps
# sam build made, and the reference; it never judges timings.
bench-check: sam-build bench-reference
	cargo run --quiet --bin lambda-bench -- --check

# A bounded load run through `cargo lambda watch` with tests/support/faultproxy.py injecting
# AWS faults, then an audit of the table (docs/faults.md): CHAOS_REQUESTS (5000),
# CHAOS_CLIENTS (16), CHAOS_RATE (0.1), CHAOS_SEED (1), CHAOS_KINDS, CHAOS_REPORT (a JSON
# file); ports 19000, 19042, 19043, 19053 (CHAOS_*_PORT), so it runs beside make test.
chaos: setup
	cargo build --workspace --bins
	tests/support/chaos.sh

# The console's browser tests (tests/console/: pytest, Playwright, Debian's chromium) against
# a local stack of their own, OpenID provider included, on the binaries make build makes;
# ports 9410-9413 (CONSOLE_TEST_*_PORT), so it runs beside make local and make test.
# CONSOLE_TEST_ARGS go to pytest (e.g. CONSOLE_TEST_ARGS="-k smoke -x"); screenshots in
# target/console/ (tests/support/console-test.sh).
CONSOLE_TEST_ARGS ?=
console-test: setup console-setup
	cargo build --workspace --bins
	tests/support/console-test.sh $(CONSOLE_TEST_ARGS)

clean:
	rm -rf target .aws-sam
