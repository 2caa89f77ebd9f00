#!/usr/bin/env bash
# `make sim`: the scaling simulator alone on the trace bundled with it (one day of single jobs), comparing our
# recommended policy with Buildkite's stack defaults, in seconds. (`make demo` runs the real control plane instead.)
# Usage: scripts/sim.sh [extra elastic-ci-sim options, e.g. --json or --seed 7]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

chart="${ELASTIC_CI_SIM_CHART:-${TMPDIR:-/tmp}/elastic-ci-sim-scaling.svg}"

# The two-policy comparison unless the caller chose policies (a repeated --policy would add to it, not replace it);
# a --chart of the caller's is the chart: passed as given, and the one named at the end.
policies=(--policy "buildkite-default,elastic-ci")
chart_options=(--chart "$chart")
previous=""
for arg in "$@"; do
  case "$arg" in
    -p | --policy | --policy=*) policies=() ;;
    --chart=*) chart="${arg#--chart=}" chart_options=() ;;
    *) if [[ "$previous" == --chart ]]; then chart="$arg" chart_options=(); fi ;;
  esac
  previous="$arg"
done

# The script's own lines go to stderr: with --json, stdout holds the simulator's report alone.
say() { echo "$@" >&2; }

say "make sim: building the simulator and what it depends on..."
pnpm exec turbo run build --filter=@elastic-ci/simulator... --output-logs=errors-only >&2

say "make sim: simulating the bundled trace (elastic-ci vs buildkite-default)..."
node packages/simulator/dist/cli.js \
  "${policies[@]}" \
  "${chart_options[@]}" \
  "$@"
say "make sim: open the chart in a browser: $chart"
