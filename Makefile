# The two commands of the README:
#   make local   set up (first run) and serve the API on http://127.0.0.1:9000
#   make test    set up (first run) and run every check CI runs
VENV  := .venv
STAMP := $(VENV)/.installed-$(shell sha1sum tests/support/requirements.txt | cut -c1-12)
SAM   := SAM_CLI_TELEMETRY=0 PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/sam

.PHONY: setup local test lint unit events sam-validate sam-build clean

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

test: setup lint unit events sam-validate sam-build
	@echo "all checks passed"

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

unit: setup
	cargo test --workspace

events: setup
	tests/support/invoke-events.sh

sam-validate: setup
	$(SAM) validate --lint

# CARGO_LAMBDA_COMPILER=cargo builds with the host toolchain (no zig needed for x86_64).
sam-build: setup
	CARGO_LAMBDA_COMPILER=cargo $(SAM) build

clean:
	rm -rf target .aws-sam
