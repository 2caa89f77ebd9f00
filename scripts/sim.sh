#!/usr/bin/env bash
# `make sim`: the scaling simulator alone on the trace bundled with it (one day of single jobs), comparing our
# recommended policy with Buildkite's stack defaults, in seconds. (`make demo` runs the real control plane instead.)
# Usage: scripts/sim.sh [extra elastic-ci-sim options, e.g. --json or --seed 7]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

chart="${ELASTIC_CI_SIM_CHART:-${TMPDIR:-/tmp}/elastic-ci-sim-scaling.svg}"

echo "make sim: building the simulator and what it depends on..."
pnpm exec turbo run build --filter=@elastic-ci/simulator... --output-logs=errors-only

echo "make sim: simulating the bundled trace (elastic-ci vs buildkite-default)..."
# The two-policy comparison unless the caller chose policies (a repeated --policy would add to it, not replace it).
policies=(--policy "buildkite-default,elastic-ci")
for arg in "$@"; do
  case "$arg" in -p | --policy | --policy=*) policies=() ;; esac
done
node packages/simulator/dist/cli.js \
  "${policies[@]}" \
  --chart "$chart" \
  "$@"
echo "make sim: open the chart in a browser: $chart"
