#!/usr/bin/env bash
# Proves the suite does not depend on a quiet machine: runs `make test` RUNS times in a row (default 3) while CPU-bound
# processes (default 2) compete for the cores, as on a loaded CI runner. Stops at the first failing run. The hogs stop
# by themselves after TEST_UNDER_LOAD_HOG_SECONDS (default 3 h, so even a killed script leaves nothing behind for long)
# and are always killed when this script exits, whatever the reason.
#
#   scripts/test-under-load.sh [RUNS]
set -euo pipefail

runs=${1:-3}
hogs=${TEST_UNDER_LOAD_HOGS:-2}
hog_seconds=${TEST_UNDER_LOAD_HOG_SECONDS:-10800}
for setting in "RUNS=$runs" "TEST_UNDER_LOAD_HOGS=$hogs" "TEST_UNDER_LOAD_HOG_SECONDS=$hog_seconds"; do
  if [[ ! "${setting#*=}" =~ ^[1-9][0-9]*$ ]]; then
    echo "test-under-load: ${setting%%=*} must be a positive whole number, got '${setting#*=}'" >&2
    echo "usage: scripts/test-under-load.sh [RUNS]" >&2
    exit 2
  fi
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."

hog_pids=()
stop_hogs() {
  ((${#hog_pids[@]} > 0)) || return 0
  kill "${hog_pids[@]}" 2>/dev/null || true
  wait "${hog_pids[@]}" 2>/dev/null || true
}
trap stop_hogs EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for ((hog = 1; hog <= hogs; hog++)); do
  # A busy loop in a subshell: one full core, no I/O, ends by itself at its deadline.
  # Its output goes nowhere, so it never holds a pipe of the caller open.
  (
    deadline=$((SECONDS + hog_seconds))
    while ((SECONDS < deadline)); do :; done
  ) </dev/null >/dev/null 2>&1 &
  hog_pids+=("$!")
done
echo "test-under-load: $hogs CPU hogs running (pids ${hog_pids[*]})"

# Every run really runs: without this turbo replays the first run's cached test results.
export TURBO_FORCE=true
for ((run = 1; run <= runs; run++)); do
  echo "test-under-load: run $run of $runs"
  if ! make test; then
    echo "test-under-load: run $run of $runs failed" >&2
    exit 1
  fi
done
echo "test-under-load: all $runs runs passed with $hogs CPU hogs"
