# The two commands of the README:
#   make local   set up (first run) and serve the API on http://127.0.0.1:9000
#   make test    set up (first run) and run every check CI runs
# and: make bench   cold-start/size/instruction benchmark of every function (release)
#      make -s token a platform-admin bearer token for the local API
#      make openapi  regenerate openapi.json from the code
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
VENV  := .venv
STAMP := $(VENV)/.installed-$(shell sha1sum tests/support/requirements.txt | cut -c1-12)
SAM   := SAM_CLI_TELEMETRY=0 PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/sam
FUNCTIONS := $(notdir $(wildcard functions/*))
BENCH_ARGS ?=

.PHONY: contract openapi setup local token api-key test lint unit events sam-validate sam-build bench bench-reference bench-check clean

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
	@$(LOCAL_ENV) cargo run --quiet -p tenant-shared --bin tenantctl -- token $(TOKEN_ARGS)

# An API key in the local table (make local must be running): `make -s api-key`.
api-key:
	@$(LOCAL_ENV) cargo run --quiet -p tenant-shared --bin tenantctl -- create-api-key $(KEY_ARGS)

# openapi.json is generated from the route table and the types (a test fails when stale).
openapi:
	cargo run --quiet -p tenant-shared --bin tenantctl -- openapi > openapi.json

# schemathesis against the live local API (README: Tests, "The contract, from outside").
contract: setup
	tests/support/contract.sh

test: setup lint unit events contract sam-validate sam-build bench-check
	@awk '/^test result:/ { p += $$4; f += $$6 } END { printf "cargo test: %d passed, %d failed\n", p, f }' target/test-output.txt

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

unit: setup
	cargo test --workspace 2>&1 | tee target/test-output.txt

events: setup
	tests/support/invoke-events.sh

sam-validate: setup
	$(SAM) validate --lint

# CARGO_LAMBDA_COMPILER=cargo builds with the host toolchain (no zig needed for x86_64).
sam-build: setup
	CARGO_LAMBDA_COMPILER=cargo $(SAM) build

# The benchmark's floor: the hello-world lambda_http reference (tests/bench/hello), a
# release bootstrap built the same way but on its own, so that its dependency features are
# its own and do not touch the functions'.
CARGO_LAMBDA := CARGO_LAMBDA_COMPILER=cargo PATH="$(CURDIR)/$(VENV)/bin:$$PATH" cargo lambda
bench-reference: setup
	$(CARGO_LAMBDA) build --release --bin hello-world

# Release bootstraps exactly as sam build makes them, then the benchmark (README: Performance).
bench: setup bench-reference
	$(CARGO_LAMBDA) build --release $(addprefix --bin ,$(FUNCTIONS))
	cargo run --quiet -p integration-tests --bin lambda-bench -- $(BENCH_ARGS)

# The benchmark's correctness checks (responses, DynamoDB request shapes) on the bootstraps
# sam build made, and the reference; it never judges timings.
bench-check: sam-build bench-reference
	cargo run --quiet -p integration-tests --bin lambda-bench -- --check

clean:
	rm -rf target .aws-sam
