#!/usr/bin/env bash
# `make test`: every check CI runs, stage by stage, stopping at the first that fails. Each
# stage's wall time is printed at the end in one table, with the total, and written to
# target/test-timings.txt, pass or fail.
#
# The work that only waits on the network or on Docker runs in the background from the
# start, beside the compilation: the Python tools (`make setup`), checkov's own virtualenv,
# the console tests' virtualenv and chromium (`make console-setup`: apt-get when chromium is
# missing), and the two Docker images of `sam local` (tests/support/sam-images.sh). A stage
# that needs one of them waits for it first; its log is printed if it failed.
#
# Every cargo command shares one build: the Makefile sets CARGO_BUILD_TARGET to the host's
# triple, the target cargo lambda builds for, so `cargo test`, `cargo lambda watch` and the
# debug `sam build` of this run (SAM_BUILD_MODE=debug) all find the same compiled world.
set -uo pipefail
cd "$(dirname "$0")/../.."
mkdir -p target/stages
timings=target/test-timings.txt
make=(make --no-print-directory)

started=$(date +%s)
names=()
seconds=()
record() { names+=("$1"); seconds+=("$2"); }

table() {
  local total=$(($(date +%s) - started)) i
  {
    echo "make test stage times ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores):"
    printf '%-28s %8s\n' stage seconds
    for i in "${!names[@]}"; do printf '%-28s %8s\n' "${names[$i]}" "${seconds[$i]}"; done
    printf '%-28s %8s\n' "total (wall)" "$total"
    [ -n "${1:-}" ] && echo "FAILED at: $1"
  } | tee "$timings"
}

# Background jobs: name -> pid; their logs in target/stages/<name>.log. A run that stops
# early (a stage failed, Ctrl-C) ends those still running, with their children.
declare -A job_pid job_start
stop_background() {
  local pid
  for pid in "${job_pid[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null
  done
  return 0
}
trap stop_background EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
background() { # name command...
  local name=$1
  shift
  job_start[$name]=$(date +%s)
  rm -f "target/stages/$name.end"
  # In a process group of its own, so that stopping it stops everything it started.
  setsid bash -c '"$@"; status=$?; date +%s >"$0"; exit "$status"' \
    "target/stages/$name.end" "$@" >"target/stages/$name.log" 2>&1 &
  job_pid[$name]=$!
}
await() { # name: waits for a background job, records its time, fails if it failed
  local name=$1 status=0
  [ -n "${job_pid[$name]:-}" ] || return 0
  wait "${job_pid[$name]}" || status=$?
  # Its own duration, not how long it was waited for.
  record "$name (background)" $(($(cat "target/stages/$name.end" 2>/dev/null || date +%s) - job_start[$name]))
  unset "job_pid[$name]"
  if [ "$status" -ne 0 ]; then
    echo "--- $name failed (exit $status):"
    tail -n 60 "target/stages/$name.log"
    table "$name"
    exit "$status"
  fi
}

stage() { # name command...: runs a stage in the foreground, timed
  local name=$1 begin status=0
  shift
  echo "=== $name"
  begin=$(date +%s)
  "$@" || status=$?
  record "$name" $(($(date +%s) - begin))
  if [ "$status" -ne 0 ]; then
    table "$name"
    exit "$status"
  fi
}

background setup "${make[@]}" setup
background checkov-setup "${make[@]}" checkov-setup
background console-setup "${make[@]}" console-setup
# Docker images (debootstrap needs nothing of ours; without Docker, sam-local-test says so).
if docker info >/dev/null 2>&1; then
  background sam-images tests/support/sam-images.sh
fi

stage lint "${make[@]}" lint
# Every binary and test harness in one cargo invocation: links run side by side.
stage build "${make[@]}" build
await setup
stage unit "${make[@]}" unit
stage events "${make[@]}" events
stage contract "${make[@]}" contract
# The small, fixed-seed form of make chaos (docs/faults.md): 300 requests, 8 clients, 10 %
# faults, then the audit; on the binaries the build stage made.
stage chaos env CHAOS_REQUESTS=300 CHAOS_CLIENTS=8 CHAOS_RATE=0.1 CHAOS_SEED=1 "${make[@]}" chaos
# The console in chromium, signed in through the local OpenID provider (tests/console/).
await console-setup
stage console-test "${make[@]}" console-test
stage sam-validate "${make[@]}" sam-validate
await checkov-setup
stage checkov "${make[@]}" checkov
stage sam-build "${make[@]}" sam-build SAM_BUILD_MODE=debug
stage bench-check "${make[@]}" -o sam-build bench-check SAM_BUILD_MODE=debug
await sam-images
stage sam-local-test "${make[@]}" -o sam-build sam-local-test SAM_BUILD_MODE=debug
table
awk '/^test result:/ { p += $4; f += $6 } END { printf "cargo test: %d passed, %d failed\n", p, f }' target/test-output.txt
